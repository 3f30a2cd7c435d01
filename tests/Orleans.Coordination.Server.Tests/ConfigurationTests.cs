using System.Diagnostics;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>silo.json and command-line overrides: every mistake names the key.</summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coord-config-tests", Guid.NewGuid().ToString("N"));

    public ConfigurationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteConfig(string json)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    private SiloConfigException Rejects(string json, params string[] extraArgs)
    {
        var path = WriteConfig(json);
        return Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--config", path, .. extraArgs]));
    }

    [Fact]
    public void A_valid_file_is_loaded()
    {
        var path = WriteConfig("""
            {
              "serverId": 4,
              "clientAddress": "127.0.0.1",
              "clientPort": 2191,
              "dataDir": "/tmp/silo4",
              "tickTime": 500,
              "minSessionTimeout": -1,
              "maxSessionTimeout": 30000,
              "extendedTypesEnabled": true,
              "superDigest": null,
              "fourLetterWords": ["ruok", "srvr"],
            }
            """);
        var o = SiloConfigLoader.Load(["--config", path]);
        Assert.Equal(4, o.ServerId);
        Assert.Equal(2191, o.ClientPort);
        Assert.Equal("/tmp/silo4", o.DataDir);
        Assert.Equal(500, o.TickTime);
        Assert.Equal(1000, o.EffectiveMinSessionTimeout);
        Assert.Equal(30_000, o.EffectiveMaxSessionTimeout);
        Assert.True(o.ExtendedTypesEnabled);
        Assert.Null(o.SuperDigest);
        Assert.Equal(["ruok", "srvr"], o.FourLetterWords);
    }

    [Fact]
    public void The_repository_silo_json_is_valid()
    {
        var o = SiloConfigLoader.Load(["--config", Repository.File("silo.json")]);
        Assert.Equal(2181, o.ClientPort);
    }

    [Fact]
    public void Unknown_key_is_named()
    {
        var e = Rejects("""{ "clientPort": 2181, "tickTme": 2000 }""");
        Assert.Contains("tickTme", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "clientPort": "abc" }""", "clientPort")]
    [InlineData("""{ "tickTime": 1.5 }""", "tickTime")]
    [InlineData("""{ "extendedTypesEnabled": "yes" }""", "extendedTypesEnabled")]
    [InlineData("""{ "dataDir": 5 }""", "dataDir")]
    [InlineData("""{ "fourLetterWords": "ruok" }""", "fourLetterWords")]
    [InlineData("""{ "fourLetterWords": [1, 2] }""", "fourLetterWords")]
    [InlineData("""{ "serverId": 99999999999 }""", "serverId")]
    public void Wrong_type_is_named(string json, string key)
    {
        var e = Rejects(json);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "tickTime": 0 }""", "tickTime")]
    [InlineData("""{ "serverId": 300 }""", "serverId")]
    [InlineData("""{ "serverId": 0 }""", "serverId")]
    [InlineData("""{ "fourLetterWords": ["nope"] }""", "fourLetterWords")]
    [InlineData("""{ "clientPort": 70000 }""", "clientPort")]
    [InlineData("""{ "clientAddress": "not-an-ip" }""", "clientAddress")]
    [InlineData("""{ "juteMaxBuffer": -1 }""", "juteMaxBuffer")]
    [InlineData("""{ "minSessionTimeout": 0 }""", "minSessionTimeout")]
    [InlineData("""{ "dataDir": "" }""", "dataDir")]
    public void Bad_value_is_named(string json, string key)
    {
        var e = Rejects(json);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_four_letter_word_names_the_word_too()
    {
        var e = Rejects("""{ "fourLetterWords": ["ruok", "nope"] }""");
        Assert.Contains("nope", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_line_override_wins_over_the_file()
    {
        var path = WriteConfig("""{ "clientPort": 2181, "tickTime": 300 }""");
        var o = SiloConfigLoader.Load(["--config", path, "--clientPort", "2300"]);
        Assert.Equal(2300, o.ClientPort);
        Assert.Equal(300, o.TickTime);

        // Order does not matter: the file is read first, then the overrides.
        o = SiloConfigLoader.Load(["--clientPort=2301", "--config", path]);
        Assert.Equal(2301, o.ClientPort);
    }

    [Fact]
    public void Unknown_command_line_key_is_named()
    {
        var e = Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--clientPrt", "2300"]));
        Assert.Contains("clientPrt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_command_line_value_is_named()
    {
        var e = Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--tickTime", "fast"]));
        Assert.Contains("tickTime", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--serverId", "300"]));
        Assert.Contains("serverId", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Min_session_timeout_above_max_is_rejected()
    {
        var e = Rejects("""{ "minSessionTimeout": 10000, "maxSessionTimeout": 5000 }""");
        Assert.Contains("minSessionTimeout", e.Message, StringComparison.Ordinal);
        Assert.Contains("maxSessionTimeout", e.Message, StringComparison.Ordinal);

        // Also when only the derived default is crossed: tickTime 2000 gives max 40000.
        e = Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--minSessionTimeout", "50000"]));
        Assert.Contains("minSessionTimeout", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_and_invalid_json_are_reported()
    {
        var missing = Path.Combine(_dir, "absent.json");
        var e = Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--config", missing]));
        Assert.Contains("absent.json", e.Message, StringComparison.Ordinal);
        Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--config", WriteConfig("{ not json")]));
        Assert.Throws<SiloConfigException>(() => SiloConfigLoader.Load(["--config", WriteConfig("[1, 2]")]));
    }

    [Fact]
    public async Task The_server_executable_exits_non_zero_naming_the_bad_key()
    {
        var dll = LocateServerDll();
        var config = WriteConfig("""{ "clientPort": 0, "bogusSetting": 1 }""");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(config);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the server did not exit on an invalid configuration");
        }

        var err = await stderr;
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("bogusSetting", err, StringComparison.Ordinal);
        Assert.DoesNotContain("serving clients", await stdout, StringComparison.Ordinal);
    }

    /// <summary>The server's own build output: copied next to this assembly, or under src/ for the same configuration.</summary>
    private static string LocateServerDll()
    {
        const string Name = "Orleans.Coordination.Server.dll";
        var local = Path.Combine(AppContext.BaseDirectory, Name);
        if (File.Exists(local) && File.Exists(Path.ChangeExtension(local, ".runtimeconfig.json")))
        {
            return local;
        }

        // tests/<project>/bin/<Configuration>/<tfm>/
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfmDir.Parent!.Name;
        var root = tfmDir.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var candidate = Path.Combine(root, "src", "Orleans.Coordination.Server", "bin", configuration, tfmDir.Name, Name);
        Assert.True(File.Exists(candidate), $"server build output not found at {local} or {candidate}");
        return candidate;
    }
}
