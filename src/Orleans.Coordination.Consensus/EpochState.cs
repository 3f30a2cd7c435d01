namespace Orleans.Coordination.Consensus;

/// <summary>
/// The durable epoch record (ZooKeeper's currentEpoch and acceptedEpoch files, in one record).
/// </summary>
/// <param name="CurrentEpoch">The last epoch whose NEWLEADER this server acknowledged (its history is that leader's).</param>
/// <param name="AcceptedEpoch">The last epoch this server agreed to join (NEWEPOCH acknowledged).</param>
/// <param name="AcceptedLeaderId">
/// The leader that proposed <see cref="AcceptedEpoch"/> (-1 if unknown). A server acknowledges one epoch for one leader
/// only, which makes "at most one leader per epoch" hold even across restarts.
/// </param>
public readonly record struct EpochState(long CurrentEpoch, long AcceptedEpoch, int AcceptedLeaderId);
