using System.Globalization;
using System.Text.Json;

namespace Orleans.Coordination.Server.Configuration;

/// <summary>Invalid configuration: the message names the key and what is wrong with it.</summary>
public sealed class SiloConfigException(string message) : Exception(message);

/// <summary>
/// Reads silo.json and command-line overrides into <see cref="SiloOptions"/>. Every key is declared once
/// in <see cref="Keys"/> with its type and range, so an unknown key, a wrong type or a bad value stops
/// start-up with a message naming the key.
/// </summary>
public static class SiloConfigLoader
{
    private enum Kind
    {
        Int,
        Bool,
        String,
        NullableString,
        StringArray,
        Members,
    }

    private sealed record Key(string Name, Kind Kind, Action<SiloOptions, object?> Set, Func<object?, string?>? Check = null);

    private static readonly Key[] Keys =
    [
        new("serverId", Kind.Int, (o, v) => o.ServerId = (int)v!, Range(1, 255)),
        new("clientAddress", Kind.String, (o, v) => o.ClientAddress = (string)v!, v => System.Net.IPAddress.TryParse((string)v!, out _) ? null : "must be an IP address"),
        new("clientPort", Kind.Int, (o, v) => o.ClientPort = (int)v!, Range(0, 65535)),
        new("dataDir", Kind.String, (o, v) => o.DataDir = (string)v!, v => ((string)v!).Length > 0 ? null : "must not be empty"),
        new("tickTime", Kind.Int, (o, v) => o.TickTime = (int)v!, Range(1, 600_000)),
        new("minSessionTimeout", Kind.Int, (o, v) => o.MinSessionTimeout = (int)v!, RangeOrMinusOne(1, int.MaxValue)),
        new("maxSessionTimeout", Kind.Int, (o, v) => o.MaxSessionTimeout = (int)v!, RangeOrMinusOne(1, int.MaxValue)),
        new("maxClientCnxns", Kind.Int, (o, v) => o.MaxClientCnxns = (int)v!, Range(0, int.MaxValue)),
        new("juteMaxBuffer", Kind.Int, (o, v) => o.JuteMaxBuffer = (int)v!, Range(1024, 256 * 1024 * 1024)),
        new("handshakeTimeoutMs", Kind.Int, (o, v) => o.HandshakeTimeoutMs = (int)v!, Range(1, 3_600_000)),
        new("maxOutstandingRequests", Kind.Int, (o, v) => o.MaxOutstandingRequests = (int)v!, Range(1, 1_000_000)),
        new("extendedTypesEnabled", Kind.Bool, (o, v) => o.ExtendedTypesEnabled = (bool)v!),
        new("containerCheckIntervalMs", Kind.Int, (o, v) => o.ContainerCheckIntervalMs = (int)v!, Range(1, int.MaxValue)),
        new("superDigest", Kind.NullableString, (o, v) => o.SuperDigest = (string?)v, v => v is null || ((string)v).Contains(':', StringComparison.Ordinal) ? null : "must look like super:base64hash"),
        new("fourLetterWords", Kind.StringArray, (o, v) => o.FourLetterWords = (string[])v!, CheckWords),
        new("reconfigEnabled", Kind.Bool, (o, v) => o.ReconfigEnabled = (bool)v!),
        new("forceSync", Kind.Bool, (o, v) => o.ForceSync = (bool)v!),
        new("snapCount", Kind.Int, (o, v) => o.SnapCount = (int)v!, Range(2, int.MaxValue)),
        new("snapRetainCount", Kind.Int, (o, v) => o.SnapRetainCount = (int)v!, Range(1, 1000)),
        new("snapshotStore.provider", Kind.String, (o, v) => o.SnapshotStoreProvider = (string)v!, v => (string)v! is "sqlite" or "postgresql" ? null : "must be \"sqlite\" or \"postgresql\""),
        new("snapshotStore.connectionString", Kind.NullableString, (o, v) => o.SnapshotStoreConnectionString = (string?)v),
        new("snapshotStore.schema", Kind.String, (o, v) => o.SnapshotStoreSchema = (string)v!, v => System.Text.RegularExpressions.Regex.IsMatch((string)v!, "^[a-z_][a-z0-9_]*$") ? null : "must be lower-case letters, digits and _"),
        new("repairLog", Kind.Bool, (o, v) => o.RepairLog = (bool)v!),
        new("admin.enabled", Kind.Bool, (o, v) => o.AdminEnabled = (bool)v!),
        new("admin.address", Kind.String, (o, v) => o.AdminAddress = (string)v!, v => System.Net.IPAddress.TryParse((string)v!, out _) ? null : "must be an IP address"),
        new("admin.port", Kind.Int, (o, v) => o.AdminPort = (int)v!, Range(0, 65535)),
        new("admin.token", Kind.NullableString, (o, v) => o.AdminToken = (string?)v, v => v is null || ((string)v).Length >= 16 ? null : "must be at least 16 characters"),
        new("ensemble.members", Kind.Members, (o, v) => o.Ensemble.Members = (EnsembleMemberOptions[])v!, CheckMembers),
        new("ensemble.tickMs", Kind.Int, (o, v) => o.Ensemble.TickMs = (int)v!, Range(5, 10_000)),
        new("ensemble.syncLimit", Kind.Int, (o, v) => o.Ensemble.SyncLimit = (int)v!, Range(2, 10_000)),
        new("ensemble.initLimit", Kind.Int, (o, v) => o.Ensemble.InitLimit = (int)v!, Range(2, 10_000)),
        new("ensemble.commitLogCount", Kind.Int, (o, v) => o.Ensemble.CommitLogCount = (int)v!, Range(1, 10_000_000)),
    ];

    /// <summary>The names of every key, for documentation and tests.</summary>
    public static IReadOnlyList<string> KeyNames => Keys.Select(k => k.Name).ToArray();

    /// <summary>
    /// Parses <c>--config FILE</c> and <c>--key value</c> pairs. With no --config, defaults apply.
    /// </summary>
    public static SiloOptions Load(IReadOnlyList<string> args)
    {
        var options = new SiloOptions();
        string? configPath = null;
        var overrides = new List<(string Key, string Value)>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new SiloConfigException($"unexpected argument '{a}': expected --config FILE or --key value");
            }

            var name = a[2..];
            string value;
            var eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else
            {
                if (i + 1 >= args.Count)
                {
                    throw new SiloConfigException($"--{name} needs a value");
                }

                value = args[++i];
            }

            if (name == "config")
            {
                configPath = value;
            }
            else
            {
                overrides.Add((name, value));
            }
        }

        if (configPath is not null)
        {
            ApplyJson(options, configPath);
        }

        foreach (var (name, value) in overrides)
        {
            var key = Find(name) ?? throw new SiloConfigException($"unknown setting '{name}' on the command line; known settings: {string.Join(", ", KeyNames)}");
            Assign(options, key, ParseText(key, value));
        }

        Validate(options);
        return options;
    }

    private static void ApplyJson(SiloOptions options, string path)
    {
        if (!File.Exists(path))
        {
            throw new SiloConfigException($"configuration file '{path}' not found");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new SiloConfigException($"{path}: not valid JSON: {e.Message}");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SiloConfigException($"{path}: the top level must be a JSON object");
            }

            ApplyObject(options, doc.RootElement, "", path);
        }
    }

    /// <summary>Nested objects map to dotted keys: {"snapshotStore": {"provider": ...}} is snapshotStore.provider.</summary>
    private static void ApplyObject(SiloOptions options, JsonElement obj, string prefix, string file)
    {
        foreach (var prop in obj.EnumerateObject())
        {
            var name = prefix + prop.Name;
            var key = Find(name);
            if (key is null && prop.Value.ValueKind == JsonValueKind.Object && Keys.Any(k => k.Name.StartsWith(name + ".", StringComparison.Ordinal)))
            {
                ApplyObject(options, prop.Value, name + ".", file);
                continue;
            }

            if (key is null)
            {
                throw new SiloConfigException($"{file}: unknown key '{name}'; known keys: {string.Join(", ", KeyNames)}");
            }

            Assign(options, key, ParseJson(key, prop.Value, file));
        }
    }

    private static Key? Find(string name) => Keys.FirstOrDefault(k => k.Name == name);

    private static void Assign(SiloOptions options, Key key, object? value)
    {
        if (key.Check?.Invoke(value) is { } problem)
        {
            throw new SiloConfigException($"setting '{key.Name}': {problem} (got {Describe(value)})");
        }

        key.Set(options, value);
    }

    private static object? ParseJson(Key key, JsonElement v, string file)
    {
        string Wrong(string expected) => $"{file}: key '{key.Name}' must be {expected}, got {v.ValueKind.ToString().ToLowerInvariant()} {v.GetRawText()}";
        switch (key.Kind)
        {
            case Kind.Int:
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
                {
                    throw new SiloConfigException(Wrong("an integer"));
                }

                return i;
            case Kind.Bool:
                if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw new SiloConfigException(Wrong("true or false"));
                }

                return v.GetBoolean();
            case Kind.String:
                if (v.ValueKind != JsonValueKind.String)
                {
                    throw new SiloConfigException(Wrong("a string"));
                }

                return v.GetString();
            case Kind.NullableString:
                if (v.ValueKind == JsonValueKind.Null)
                {
                    return null;
                }

                if (v.ValueKind != JsonValueKind.String)
                {
                    throw new SiloConfigException(Wrong("a string or null"));
                }

                return v.GetString();
            case Kind.Members:
                if (v.ValueKind != JsonValueKind.Array)
                {
                    throw new SiloConfigException(Wrong("an array of members"));
                }

                return v.EnumerateArray().Select((e, i) => ParseMember(e, $"{file}: key '{key.Name}[{i}]'")).ToArray();
            default:
                if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                {
                    throw new SiloConfigException(Wrong("an array of strings"));
                }

                return v.EnumerateArray().Select(e => e.GetString()!).ToArray();
        }
    }

    private static object? ParseText(Key key, string text)
    {
        switch (key.Kind)
        {
            case Kind.Int:
                return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
                    ? i
                    : throw new SiloConfigException($"--{key.Name}: '{text}' is not an integer");
            case Kind.Bool:
                return bool.TryParse(text, out var b) ? b : throw new SiloConfigException($"--{key.Name}: '{text}' is not true or false");
            case Kind.String:
                return text;
            case Kind.NullableString:
                return text.Length == 0 ? null : text;
            case Kind.Members:
                try
                {
                    return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(EnsembleMemberOptions.Parse).ToArray();
                }
                catch (FormatException e)
                {
                    throw new SiloConfigException($"--{key.Name}: {e.Message}");
                }

            default:
                return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
    }

    /// <summary>A member as a JSON object {"id", "host", "quorumPort", "electionPort", "role", "clientPort"} or in the text form.</summary>
    private static EnsembleMemberOptions ParseMember(JsonElement e, string where)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            try
            {
                return EnsembleMemberOptions.Parse(e.GetString()!);
            }
            catch (FormatException x)
            {
                throw new SiloConfigException($"{where}: {x.Message}");
            }
        }

        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new SiloConfigException($"{where} must be an object {{\"id\", \"host\", \"quorumPort\", \"electionPort\", \"role\", \"clientPort\"}} or a string id=host:quorumPort:electionPort[:role][;clientPort]");
        }

        int id = 0, quorumPort = 0, electionPort = 0, clientPort = 0;
        string? host = null;
        var role = EnsembleRole.Voter;
        foreach (var p in e.EnumerateObject())
        {
            int Int(int min, int max) => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var n) && n >= min && n <= max
                ? n
                : throw new SiloConfigException($"{where}.{p.Name} must be an integer between {min} and {max}, got {p.Value.GetRawText()}");
            switch (p.Name)
            {
                case "id":
                    id = Int(1, 255);
                    break;
                case "host":
                    host = p.Value.ValueKind == JsonValueKind.String && p.Value.GetString()!.Length > 0
                        ? p.Value.GetString()
                        : throw new SiloConfigException($"{where}.host must be a non-empty string, got {p.Value.GetRawText()}");
                    break;
                case "quorumPort":
                    quorumPort = Int(1, 65535);
                    break;
                case "electionPort":
                    electionPort = Int(1, 65535);
                    break;
                case "clientPort":
                    clientPort = Int(1, 65535);
                    break;
                case "role":
                    role = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() switch
                    {
                        "voter" or "participant" => EnsembleRole.Voter,
                        "observer" => EnsembleRole.Observer,
                        _ => throw new SiloConfigException($"{where}.role must be \"voter\" or \"observer\", got {p.Value.GetRawText()}"),
                    } : throw new SiloConfigException($"{where}.role must be \"voter\" or \"observer\", got {p.Value.GetRawText()}");
                    break;
                default:
                    throw new SiloConfigException($"{where}: unknown key '{p.Name}'; known keys: id, host, quorumPort, electionPort, role, clientPort");
            }
        }

        if (id == 0 || host is null || quorumPort == 0 || electionPort == 0)
        {
            throw new SiloConfigException($"{where}: id, host, quorumPort and electionPort are required");
        }

        return new EnsembleMemberOptions(id, host, quorumPort, electionPort, role, clientPort);
    }

    private static string? CheckMembers(object? v)
    {
        var members = (EnsembleMemberOptions[])v!;
        if (members.Select(m => m.Id).Distinct().Count() != members.Length)
        {
            return "server ids must be unique";
        }

        if (members.Any(m => m.Id is < 1 or > 255))
        {
            return "server ids must be between 1 and 255";
        }

        var endpoints = members.SelectMany(m => new[] { (m.Host, m.QuorumPort), (m.Host, m.ElectionPort) }).ToList();
        if (endpoints.Distinct().Count() != endpoints.Count)
        {
            return "every quorum and election port must be distinct";
        }

        return members.Length > 0 && members.All(m => m.Role == EnsembleRole.Observer) ? "at least one member must be a voter" : null;
    }

    private static void Validate(SiloOptions o)
    {
        if (o.Ensemble.Members.Count > 0 && o.Ensemble.Members.All(m => m.Id != o.ServerId))
        {
            throw new SiloConfigException($"setting 'serverId' ({o.ServerId}) is not one of 'ensemble.members' ({string.Join(", ", o.Ensemble.Members.Select(m => m.Id))})");
        }

        if (o.Ensemble.SyncLimit >= o.Ensemble.InitLimit)
        {
            throw new SiloConfigException($"setting 'ensemble.syncLimit' ({o.Ensemble.SyncLimit}) must be less than 'ensemble.initLimit' ({o.Ensemble.InitLimit})");
        }

        if (o.SnapshotStoreProvider == "postgresql" && string.IsNullOrWhiteSpace(o.SnapshotStoreConnectionString))
        {
            throw new SiloConfigException("setting 'snapshotStore.connectionString' is required when 'snapshotStore.provider' is postgresql");
        }

        if (o.EffectiveMinSessionTimeout > o.EffectiveMaxSessionTimeout)
        {
            throw new SiloConfigException($"setting 'minSessionTimeout' ({o.EffectiveMinSessionTimeout}) must not exceed 'maxSessionTimeout' ({o.EffectiveMaxSessionTimeout})");
        }
    }

    private static Func<object?, string?> Range(int min, int max) =>
        v => (int)v! >= min && (int)v! <= max ? null : $"must be between {min} and {max}";

    private static Func<object?, string?> RangeOrMinusOne(int min, int max) =>
        v => (int)v! == -1 || ((int)v! >= min && (int)v! <= max) ? null : $"must be -1 (default) or between {min} and {max}";

    private static string? CheckWords(object? v)
    {
        foreach (var w in (string[])v!)
        {
            if (w != "*" && !Protocol.Framing.FourLetterWord.All.Contains(w))
            {
                return $"'{w}' is not a four-letter word this silo knows ({string.Join(", ", Protocol.Framing.FourLetterWord.All)}, or *)";
            }
        }

        return null;
    }

    private static string Describe(object? v) => v switch
    {
        null => "null",
        string[] a => "[" + string.Join(", ", a) + "]",
        EnsembleMemberOptions[] m => "[" + string.Join(", ", m.Select(x => x.ToString())) + "]",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "?",
    };
}
