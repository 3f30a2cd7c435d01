using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Orleans.Coordination.Client;

namespace Orleans.Coordination.Recipes;

/// <summary>
/// Configuration from a JSON document stored in one node, reloaded when the node changes. Keys are flattened as
/// Microsoft.Extensions.Configuration's JSON provider does (<c>{"Orders":{"Limit":5}}</c> gives <c>Orders:Limit</c> = "5").
/// A node that does not exist gives no keys (or fails <see cref="Load"/> when the source is not optional); a node whose
/// JSON is invalid fails the first load, and later keeps the last good values.
/// </summary>
public sealed class CoordinationConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ConfigurationWatcher _watcher;
    private readonly bool _optional;
    private readonly TimeSpan _loadTimeout;
    private readonly bool _ownsWatcher;
    private bool _loaded;

    /// <summary>Creates a provider over <paramref name="watcher"/> (started on the first <see cref="Load"/> if it was not).</summary>
    public CoordinationConfigurationProvider(ConfigurationWatcher watcher, bool optional, TimeSpan loadTimeout, bool ownsWatcher = false)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        _watcher = watcher;
        _optional = optional;
        _loadTimeout = loadTimeout;
        _ownsWatcher = ownsWatcher;
        _watcher.Changed += OnChanged;
    }

    /// <summary>
    /// Reads the node (starting the watcher and waiting for its first read, at most the load timeout, if needed) and
    /// flattens its JSON into keys.
    /// </summary>
    public override void Load()
    {
        if (!_watcher.IsStarted)
        {
            // Configuration loading is synchronous by contract.
            _watcher.StartAsync().WaitAsync(_loadTimeout).GetAwaiter().GetResult();
        }

        var data = _watcher.Current;
        if (data is null && !_optional)
        {
            throw new InvalidOperationException($"the configuration node {_watcher.Path} does not exist");
        }

        Data = Flatten(data);
        _loaded = true;
    }

    /// <summary>Stops following the node (and disposes the watcher if this provider created it).</summary>
    public void Dispose()
    {
        _watcher.Changed -= OnChanged;
        if (_ownsWatcher)
        {
            _ = _watcher.DisposeAsync().AsTask();
        }
    }

    private void OnChanged(object? sender, ConfigurationChangedEventArgs e)
    {
        if (!_loaded)
        {
            return;
        }

        try
        {
            Data = Flatten(e.Current);
        }
        catch (JsonException)
        {
            // Keep the last good values.
            return;
        }

        OnReload();
    }

    /// <summary>Flattens a JSON document into configuration keys.</summary>
    internal static Dictionary<string, string?> Flatten(byte[]? json)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (json is null || json.Length == 0)
        {
            return data;
        }

        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the configuration node must hold a JSON object");
        }

        Visit(document.RootElement, null, data);
        return data;
    }

    private static void Visit(JsonElement element, string? prefix, Dictionary<string, string?> data)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var any = false;
                foreach (var property in element.EnumerateObject())
                {
                    any = true;
                    Visit(property.Value, prefix is null ? property.Name : ConfigurationPath.Combine(prefix, property.Name), data);
                }

                if (!any && prefix is not null)
                {
                    data[prefix] = null;
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Visit(item, ConfigurationPath.Combine(prefix!, index.ToString(System.Globalization.CultureInfo.InvariantCulture)), data);
                    index++;
                }

                if (index == 0)
                {
                    data[prefix!] = null;
                }

                break;
            case JsonValueKind.Null:
                data[prefix!] = null;
                break;
            case JsonValueKind.String:
                data[prefix!] = element.GetString();
                break;
            default:
                data[prefix!] = element.ToString();
                break;
        }
    }
}

/// <summary>The <see cref="IConfigurationSource"/> of <see cref="CoordinationConfigurationProvider"/>.</summary>
public sealed class CoordinationConfigurationSource : IConfigurationSource
{
    /// <summary>The watcher to read from.</summary>
    public required ConfigurationWatcher Watcher { get; init; }

    /// <summary>Whether a missing node is fine (no keys) rather than an error.</summary>
    public bool Optional { get; init; } = true;

    /// <summary>How long the first load may wait for the server.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the provider disposes the watcher.</summary>
    public bool OwnsWatcher { get; init; }

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new CoordinationConfigurationProvider(Watcher, Optional, LoadTimeout, OwnsWatcher);
}

/// <summary>Adds configuration stored in a node to an <see cref="IConfigurationBuilder"/>.</summary>
public static class CoordinationConfigurationExtensions
{
    /// <summary>
    /// Adds the JSON document in <paramref name="path"/> as configuration, reloaded whenever the node changes.
    /// <code>builder.Configuration.AddCoordinationJson(client, "/config/orders");</code>
    /// </summary>
    public static IConfigurationBuilder AddCoordinationJson(this IConfigurationBuilder builder, CoordinationClient client, string path, bool optional = true, TimeSpan? loadTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new CoordinationConfigurationSource
        {
            Watcher = new ConfigurationWatcher(client, path),
            Optional = optional,
            LoadTimeout = loadTimeout ?? TimeSpan.FromSeconds(30),
            OwnsWatcher = true,
        });
    }

    /// <summary>Adds the JSON document that <paramref name="watcher"/> follows as configuration.</summary>
    public static IConfigurationBuilder AddCoordinationJson(this IConfigurationBuilder builder, ConfigurationWatcher watcher, bool optional = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new CoordinationConfigurationSource { Watcher = watcher, Optional = optional });
    }
}
