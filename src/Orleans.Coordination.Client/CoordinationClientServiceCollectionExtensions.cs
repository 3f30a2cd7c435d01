using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orleans.Coordination.Client;

/// <summary>Registers a shared <see cref="CoordinationClient"/> in a service collection.</summary>
public static class CoordinationClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="CoordinationClient"/> configured by <paramref name="configure"/>. The client
    /// connects on its first operation (or an explicit <see cref="CoordinationClient.ConnectAsync"/>) and closes its
    /// session when the service provider is disposed.
    /// <code>services.AddCoordinationClient(o => o.ConnectionString = "zk1:2181,zk2:2181/app");</code>
    /// </summary>
    public static IServiceCollection AddCoordinationClient(this IServiceCollection services, Action<CoordinationClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<CoordinationClientOptions>().Configure(configure);
        return AddClient(services);
    }

    /// <summary>
    /// Adds a singleton <see cref="CoordinationClient"/> whose options are bound from <paramref name="configuration"/>
    /// (e.g. <c>builder.Configuration.GetSection("Coordination")</c>), then adjusted by <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddCoordinationClient(this IServiceCollection services, IConfiguration configuration, Action<CoordinationClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddOptions<CoordinationClientOptions>().Bind(configuration);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return AddClient(services);
    }

    private static IServiceCollection AddClient(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new CoordinationClient(
            sp.GetRequiredService<IOptions<CoordinationClientOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger<CoordinationClient>()));
        return services;
    }
}
