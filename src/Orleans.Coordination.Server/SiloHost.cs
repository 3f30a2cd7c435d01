using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Network;
using Orleans.Coordination.Server.Persistence;
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server;

/// <summary>
/// A running silo: recovered storage, the apply loop, and Kestrel serving the client port. Used by
/// Program and by tests that host silos in process.
/// </summary>
public sealed class SiloHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILoggerFactory _loggerFactory;
    private readonly SiloStorage _storage;
    private readonly Quorum.PeerNetwork? _network;
    private int _disposed;

    private SiloHost(WebApplication app, SiloCore core, SiloStorage storage, ILoggerFactory loggerFactory, Quorum.PeerNetwork? network)
    {
        _app = app;
        Core = core;
        _storage = storage;
        _loggerFactory = loggerFactory;
        _network = network;
    }

    public SiloCore Core { get; }

    public SiloOptions Options => Core.Options;

    /// <summary>The client port actually bound (differs from the option when it was 0).</summary>
    public int ClientPort { get; private set; }

    /// <summary>The admin HTTP port actually bound; 0 when the admin endpoint is disabled.</summary>
    public int AdminPort { get; private set; }

    /// <summary>The quorum port (0 standalone).</summary>
    public int QuorumPort => _network?.Self.QuorumPort ?? 0;

    /// <summary>The election port (0 standalone).</summary>
    public int ElectionPort => _network?.Self.ElectionPort ?? 0;

    /// <summary>
    /// Recovers the silo's state from its data directory and starts it. A standalone silo serves at once; an ensemble
    /// member serves once it has joined an established leader (see <see cref="SiloCore.Replication"/>).
    /// </summary>
    /// <exception cref="RecoveryException">stored state is damaged; the message names the file and offset.</exception>
    /// <param name="options">The silo's settings.</param>
    /// <param name="logging">Logging configuration; console logging when null.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <param name="logFileSystem">The transaction log's files: the real file system unless a test injects faults.</param>
    public static async Task<SiloHost> StartAsync(SiloOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default, Storage.Log.ILogFileSystem? logFileSystem = null)
    {
        var loggerFactory = LoggerFactory.Create(logging ?? DefaultLogging);
        SiloStorage storage;
        try
        {
            storage = await SiloStorage.OpenAsync(options, loggerFactory.CreateLogger("Orleans.Coordination.Storage"), cancellationToken: cancellationToken, logFileSystem: logFileSystem);
        }
        catch
        {
            loggerFactory.Dispose();
            throw;
        }

        SiloCore core;
        try
        {
            core = new SiloCore(options, loggerFactory.CreateLogger("Orleans.Coordination.Silo"), storage) { ClientPort = options.ClientPort };
        }
        catch
        {
            await storage.DisposeAsync();
            loggerFactory.Dispose();
            throw;
        }

        var network = options.Ensemble.IsReplicated ? Quorum.PeerNetwork.Create(options, core, loggerFactory.CreateLogger("Orleans.Coordination.Quorum")) : null;
        if (network is not null)
        {
            core.AttachNetwork(network);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        // Port 0 means "any free port": Kestrel binds it and the endpoint then holds the port it got (picking a free
        // port first and binding it later would race with other processes doing the same).
        ListenOptions? clientListen = null, adminListen = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(options.ClientAddress), options.ClientPort, l =>
            {
                clientListen = l;
                l.UseConnectionHandler<ClientConnectionHandler>();
            });
            k.Limits.MaxConcurrentConnections = null;
            if (options.AdminEnabled)
            {
                k.Listen(IPAddress.Parse(options.AdminAddress), options.AdminPort, l => adminListen = l);
            }

            if (network is not null)
            {
                var bind = Quorum.PeerNetwork.BindAddress(network.Self);
                k.Listen(bind, network.Self.QuorumPort, l => l.Run(network.Quorum.AcceptAsync));
                k.Listen(bind, network.Self.ElectionPort, l => l.Run(network.Election.AcceptAsync));
            }
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(core);
        var app = builder.Build();
        if (options.AdminEnabled)
        {
            Admin.AdminEndpoints.Map(app, core);
        }

        core.Start();
        var host = new SiloHost(app, core, storage, loggerFactory, network);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        host.ClientPort = core.ClientPort = clientListen!.IPEndPoint!.Port;
        host.AdminPort = adminListen?.IPEndPoint?.Port ?? 0;
        loggerFactory.CreateLogger("Orleans.Coordination.Silo").LogInformation(
            network is null ? "Silo {Id} serving clients on {Address}:{Port}, data in {DataDir}" : "Silo {Id} listening for clients on {Address}:{Port}, data in {DataDir}; joining ensemble {Members}",
            options.ServerId, options.ClientAddress, host.ClientPort, Path.GetFullPath(options.DataDir), string.Join(",", options.Ensemble.Members));
        return host;
    }

    /// <summary>Freezes the silo (test hook, like SIGSTOP): its apply loop processes nothing until <see cref="Resume"/>.</summary>
    public void Pause() => Core.Pause();

    /// <summary>Lets a paused silo run again.</summary>
    public void Resume() => Core.Resume();

    /// <summary>
    /// Stops the silo abruptly, as a crash would (test hook): peers and clients lose their connections at once and no
    /// session is closed. With an in-memory log file system, call its SimulateCrash first so that un-fsynced writes are lost.
    /// </summary>
    public async Task KillAsync()
    {
        Core.Links.Block([.. Core.Options.Ensemble.Members.Select(m => m.Id)]);
        if (_network is not null)
        {
            await _network.DisposeAsync();
        }

        foreach (var c in Core.Connections.ToList())
        {
            c.Abort();
        }

        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await DisposeCoreAsync(quick.Token);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) =>
        Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_network is not null)
        {
            await _network.DisposeAsync();
        }

        await DisposeCoreAsync(CancellationToken.None);
    }

    private async Task DisposeCoreAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(cancellationToken);
        }
        finally
        {
            await Core.DisposeAsync();
            try
            {
                await _storage.DisposeAsync();
            }
            catch (Exception e) when (e is Storage.StorageException or IOException or ObjectDisposedException)
            {
                // A killed silo's log may already be unusable (its file system crashed under it).
            }

            await _app.DisposeAsync();
            _loggerFactory.Dispose();
        }
    }

    private static void DefaultLogging(ILoggingBuilder logging)
    {
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
        });
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
    }
}
