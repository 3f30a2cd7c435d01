using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
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

    private SiloHost(WebApplication app, SiloCore core, SiloStorage storage, ILoggerFactory loggerFactory)
    {
        _app = app;
        Core = core;
        _storage = storage;
        _loggerFactory = loggerFactory;
    }

    public SiloCore Core { get; }

    public SiloOptions Options => Core.Options;

    /// <summary>The client port actually bound (differs from the option when it was 0).</summary>
    public int ClientPort { get; private set; }

    /// <summary>Recovers the silo's state from its data directory and starts serving.</summary>
    /// <exception cref="RecoveryException">stored state is damaged; the message names the file and offset.</exception>
    public static async Task<SiloHost> StartAsync(SiloOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        var loggerFactory = LoggerFactory.Create(logging ?? DefaultLogging);
        SiloStorage storage;
        try
        {
            storage = await SiloStorage.OpenAsync(options, loggerFactory.CreateLogger("Orleans.Coordination.Storage"), cancellationToken: cancellationToken);
        }
        catch
        {
            loggerFactory.Dispose();
            throw;
        }

        var core = new SiloCore(options, loggerFactory.CreateLogger("Orleans.Coordination.Silo"), storage);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(options.ClientAddress), options.ClientPort, l => l.UseConnectionHandler<ClientConnectionHandler>());
            k.Limits.MaxConcurrentConnections = null;
            if (options.AdminEnabled)
            {
                k.Listen(IPAddress.Parse(options.AdminAddress), options.AdminPort);
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
        var host = new SiloHost(app, core, storage, loggerFactory);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        host.ClientPort = ResolvePort(app, options.ClientPort);
        loggerFactory.CreateLogger("Orleans.Coordination.Silo").LogInformation(
            "Silo {Id} serving clients on {Address}:{Port}, data in {DataDir}", options.ServerId, options.ClientAddress, host.ClientPort, Path.GetFullPath(options.DataDir));
        return host;
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) =>
        Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await Core.DisposeAsync();
            await _storage.DisposeAsync();
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

    private static int ResolvePort(WebApplication app, int configured)
    {
        if (configured != 0)
        {
            return configured;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var a in addresses.Where(a => !a.StartsWith("http", StringComparison.Ordinal)))
        {
            var colon = a.LastIndexOf(':');
            if (colon > 0 && int.TryParse(a[(colon + 1)..].TrimEnd('/'), out var port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("could not determine the bound client port");
    }
}
