using Orleans.Coordination.Client;

namespace Orleans.Coordination.Recipes.Internal;

/// <summary>Waiting for connection states.</summary>
internal static class ClientStates
{
    /// <summary>
    /// Waits until the client has a live session again after its previous one ended (a renewed session, reported as
    /// Reconnected/Connected with a session id other than <paramref name="endedSession"/>). Returns false when the
    /// client is closed instead, or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task<bool> WaitForNewSessionAsync(CoordinationClient client, long endedSession, CancellationToken cancellationToken)
    {
        var renewed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(ConnectionState state, long sessionId)
        {
            if (state == ConnectionState.Closed)
            {
                renewed.TrySetResult(false);
            }
            else if (state is ConnectionState.Connected or ConnectionState.Reconnected or ConnectionState.ReadOnly && sessionId != endedSession && sessionId != 0)
            {
                renewed.TrySetResult(true);
            }
        }

        void OnChanged(object? sender, ConnectionStateChangedEventArgs e) => Check(e.State, e.SessionId);
        client.StateChanged += OnChanged;
        try
        {
            Check(client.State, client.SessionId);
            using var registration = cancellationToken.Register(() => renewed.TrySetResult(false));
            return await renewed.Task.ConfigureAwait(false);
        }
        finally
        {
            client.StateChanged -= OnChanged;
        }
    }
}
