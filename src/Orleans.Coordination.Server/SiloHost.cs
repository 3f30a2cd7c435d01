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
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server;

/// <summary>
/// A running silo: the apply loop plus Kestrel serving the client port. Used by Program and by tests
/// that host silos in process.
/// </summary>
public sealed class SiloHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SiloHost(WebApplication app, SiloCore core)
    {
        _app = app;
        Core = core;
    }

    public SiloCore Core { get; }

    public SiloOptions Options => Core.Options;

    /// <summary>The client port actually bound (differs from the option when it was 0).</summary>
    public int ClientPort { get; private set; }

    public static async Task<SiloHost> StartAsync(SiloOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            logging(builder.Logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            });
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(options.ClientAddress), options.ClientPort, l => l.UseConnectionHandler<ClientConnectionHandler>());
            k.Limits.MaxConcurrentConnections = null;
        });

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new SiloCore(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Coordination.Silo")));
        var app = builder.Build();
        var core = app.Services.GetRequiredService<SiloCore>();
        Directory.CreateDirectory(options.DataDir);
        core.Start();
        var host = new SiloHost(app, core);
        await app.StartAsync(cancellationToken);
        host.ClientPort = ResolvePort(app, options.ClientPort);
        app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Coordination.Silo")
            .LogInformation("Silo {Id} serving clients on {Address}:{Port}, data in {DataDir}", options.ServerId, options.ClientAddress, host.ClientPort, Path.GetFullPath(options.DataDir));
        return host;
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await Core.DisposeAsync();
        await _app.DisposeAsync();
    }

    private static int ResolvePort(WebApplication app, int configured)
    {
        if (configured != 0)
        {
            return configured;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var a in addresses)
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
