namespace Orleans.Coordination.Protocol.Jute;

/// <summary>Raised when bytes cannot be decoded as the expected jute record.</summary>
public sealed class JuteException(string message) : Exception(message);
