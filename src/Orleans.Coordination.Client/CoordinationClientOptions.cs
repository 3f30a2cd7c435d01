namespace Orleans.Coordination.Client;

/// <summary>
/// Settings of a <see cref="CoordinationClient"/>; every property binds from configuration, e.g.
/// <code>
/// "Coordination": {
///   "ConnectionString": "10.0.0.1:2181,10.0.0.2:2181/myapp",
///   "SessionTimeout": "00:00:30",
///   "Authentication": [ { "Scheme": "digest", "Credentials": "app:secret" } ],
///   "Retry": { "MaxRetries": 5, "BaseDelay": "00:00:00.100", "MaxDelay": "00:00:05" }
/// }
/// </code>
/// </summary>
public sealed class CoordinationClientOptions
{
    /// <summary><c>host:port,host:port[/chroot]</c>; see <see cref="Client.ConnectionString"/>.</summary>
    public string ConnectionString { get; set; } = "127.0.0.1:2181";

    /// <summary>The session timeout to ask for; the server clamps it (2 to 20 ticks by default).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="CoordinationClient.ConnectAsync"/> keeps trying the hosts before it gives up.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Accept servers in read-only mode (state <see cref="ConnectionState.ReadOnly"/>).</summary>
    public bool CanBeReadOnly { get; set; }

    /// <summary>Try the hosts in random order (the default), so that clients spread over the ensemble.</summary>
    public bool ShuffleHosts { get; set; } = true;

    /// <summary>
    /// After the session is <see cref="ConnectionState.Lost"/>, start a new session instead of staying lost
    /// (Curator's behaviour). The new session is reported as <see cref="ConnectionState.Reconnected"/> with a new
    /// <see cref="CoordinationClient.SessionId"/>; ephemeral nodes and watches of the old one are gone.
    /// </summary>
    public bool RenewSessionOnExpiry { get; set; }

    /// <summary>Largest frame accepted from the server, in bytes.</summary>
    public int MaxFrameLength { get; set; } = 4 * 1024 * 1024;

    /// <summary>Credentials added to the session on every connection (as <see cref="CoordinationClient.AddAuthAsync"/> does).</summary>
    public IList<CoordinationAuthOptions> Authentication { get; set; } = [];

    /// <summary>The policy <see cref="CoordinationClient.RetryAsync{T}"/> uses when none is given.</summary>
    public CoordinationRetryOptions Retry { get; set; } = new();

    /// <summary>Resume this existing session (with <see cref="SessionPassword"/>) instead of creating one; 0 creates one.</summary>
    public long SessionId { get; set; }

    /// <summary>The 16-byte password of <see cref="SessionId"/>.</summary>
    public byte[]? SessionPassword { get; set; }
}

/// <summary>One credential, e.g. scheme "digest" with credentials "user:password".</summary>
public sealed class CoordinationAuthOptions
{
    /// <summary>The authentication scheme, e.g. "digest".</summary>
    public string Scheme { get; set; } = "digest";

    /// <summary>The credentials as text (UTF-8 encoded on the wire), e.g. "user:password" for digest.</summary>
    public string Credentials { get; set; } = "";
}

/// <summary>The default <see cref="RetryPolicy"/>, in bindable form.</summary>
public sealed class CoordinationRetryOptions
{
    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>The delay before the first retry.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest delay.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The policy these settings describe.</summary>
    public RetryPolicy ToPolicy() => new(MaxRetries, BaseDelay, MaxDelay);
}
