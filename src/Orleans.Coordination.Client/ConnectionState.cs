namespace Orleans.Coordination.Client;

/// <summary>
/// The client's connection state, named as Curator names them. <see cref="CoordinationClient.StateChanged"/>
/// reports every transition, in order, on the client's event thread.
/// </summary>
public enum ConnectionState
{
    /// <summary><see cref="CoordinationClient.ConnectAsync"/> has not been called yet (or the first connection attempt gave up).</summary>
    NotStarted = 0,

    /// <summary>The first connection of a session is up.</summary>
    Connected,

    /// <summary>
    /// The connection was lost; the client is reconnecting and the session is probably still alive. Requests
    /// issued now wait for the reconnection; requests that were on the wire failed with <see cref="ConnectionLossException"/>.
    /// </summary>
    Suspended,

    /// <summary>The connection is up again after <see cref="Suspended"/> (or after <see cref="Lost"/> with a new session when renewing is enabled).</summary>
    Reconnected,

    /// <summary>
    /// The session expired: ephemeral nodes and watches are gone. Terminal unless
    /// <see cref="CoordinationClientOptions.RenewSessionOnExpiry"/> is set.
    /// </summary>
    Lost,

    /// <summary>Connected to a server in read-only mode: reads work, writes fail with <see cref="NotReadOnlyException"/>.</summary>
    ReadOnly,

    /// <summary>The client was disposed and its session closed.</summary>
    Closed,
}

/// <summary>Arguments of <see cref="CoordinationClient.StateChanged"/>.</summary>
/// <param name="PreviousState">The state before the transition.</param>
/// <param name="State">The new state.</param>
/// <param name="SessionId">The session id in effect after the transition (0 when there is none).</param>
public sealed record ConnectionStateChangedEventArgs(ConnectionState PreviousState, ConnectionState State, long SessionId);
