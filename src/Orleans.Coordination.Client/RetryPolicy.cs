namespace Orleans.Coordination.Client;

/// <summary>
/// Bounded exponential backoff for operations that are safe to repeat (reads, version-checked writes, creates
/// that treat NodeExists as success, ...). The delay before retry <c>n</c> (0-based) is a random value between
/// half and all of <c>min(MaxDelay, BaseDelay * 2^n)</c>. Use it with <see cref="CoordinationClient.RetryAsync{T}"/>.
/// </summary>
public class RetryPolicy
{
    /// <summary>No retries.</summary>
    public static readonly RetryPolicy None = new(0, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Five retries, starting at 100 ms, capped at 5 s.</summary>
    public static readonly RetryPolicy Default = new(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    /// <summary>Creates a policy.</summary>
    /// <param name="maxRetries">Retries after the first attempt (0 = none).</param>
    /// <param name="baseDelay">The delay before the first retry.</param>
    /// <param name="maxDelay">The largest delay.</param>
    public RetryPolicy(int maxRetries, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThan(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, baseDelay);
        MaxRetries = maxRetries;
        BaseDelay = baseDelay;
        MaxDelay = maxDelay;
    }

    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetries { get; }

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan BaseDelay { get; }

    /// <summary>The largest delay.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>
    /// Whether <paramref name="exception"/> is worth another attempt: connection loss, operation and request
    /// timeouts, a moved session and throttling. Session expiry and logical errors are not.
    /// </summary>
    public virtual bool IsRetryable(Exception exception) =>
        exception is ConnectionLossException or OperationTimeoutException or RequestTimeoutException or SessionMovedException or ThrottledOpException;

    /// <summary>The delay before retry number <paramref name="retry"/> (0-based).</summary>
    public virtual TimeSpan GetDelay(int retry)
    {
        var ceiling = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 30));
        var capped = Math.Min(ceiling, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
