namespace Orleans.Coordination.Consensus.Messages;

/// <summary>
/// A message between two replicas of one ensemble. The transport carries it with the sender's server id (the
/// core never trusts an id inside a message for routing); <see cref="MessageCodec"/> gives the bytes.
/// </summary>
public abstract record ReplicaMessage;
