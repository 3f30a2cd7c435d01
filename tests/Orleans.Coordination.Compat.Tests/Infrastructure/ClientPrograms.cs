using System.Globalization;
using System.Text.RegularExpressions;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>Runs our client programs (java/CompatProbe.java, python/*.py) against a server.</summary>
public static class ClientPrograms
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(150);
    private static readonly Lazy<Task<string>> CompiledProbe = new(CompileProbeAsync);
    private static readonly Lazy<Task<string>> CompiledCuratorProbe = new(CompileCuratorProbeAsync);
    private static TemporaryDirectory? _curatorClasses;

    /// <summary>Curator and what it needs, from Debian's libcurator-recipes-java and its dependencies.</summary>
    private static readonly string CuratorClassPath = string.Join(':',
        RepositoryPaths.ZooKeeperJar, "/usr/share/java/zookeeper-jute.jar", "/usr/share/java/curator-client.jar", "/usr/share/java/curator-framework.jar",
        "/usr/share/java/curator-recipes.jar", "/usr/share/java/guava.jar", "/usr/share/java/slf4j-api.jar", RepositoryPaths.Slf4jSimpleJar,
        "/usr/share/java/netty-all.jar");
    private static TemporaryDirectory? _classes;

    /// <summary>A path nobody else uses, for one test's nodes.</summary>
    public static string UniqueBasePath(string scenario) => $"/compat-{scenario}-{Guid.NewGuid().ToString("N")[..10]}";

    /// <summary>Runs one CompatProbe scenario with the official Java client; the result must say "OK scenario".</summary>
    public static async Task<ProcessResult> RunJavaScenarioAsync(CoordinationServer server, string scenario)
    {
        var classes = await CompiledProbe.Value;
        return await ProcessRunner.RunAsync(
            "java",
            [
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", $"{classes}:{RepositoryPaths.ZooKeeperJar}:{RepositoryPaths.Slf4jSimpleJar}",
                "CompatProbe", server.ConnectString, scenario, UniqueBasePath(scenario),
            ],
            ScenarioTimeout,
            environment: ClientEnvironment(server));
    }

    /// <summary>Runs one CuratorProbe scenario with Apache Curator; the result must say "OK scenario".</summary>
    public static async Task<ProcessResult> RunCuratorScenarioAsync(CoordinationServer server, string scenario)
    {
        var classes = await CompiledCuratorProbe.Value;
        return await ProcessRunner.RunAsync(
            "java",
            [
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", $"{classes}:{CuratorClassPath}",
                "CuratorProbe", server.ConnectString, scenario, UniqueBasePath(scenario),
            ],
            ScenarioTimeout,
            environment: ClientEnvironment(server));
    }

    /// <summary>Runs python/<paramref name="script"/>.py with the system python (which has kazoo).</summary>
    public static Task<ProcessResult> RunKazooScriptAsync(CoordinationServer server, string script) =>
        ProcessRunner.RunAsync(
            RepositoryPaths.SystemPython,
            [Path.Combine(RepositoryPaths.PythonScripts, script + ".py"), server.ConnectString, UniqueBasePath(script)],
            ScenarioTimeout,
            environment: new Dictionary<string, string>(ClientEnvironment(server)) { ["PYTHONDONTWRITEBYTECODE"] = "1" },
            workingDirectory: RepositoryPaths.PythonScripts);

    /// <summary>Fails the test, with the program's output and the server's log tail, unless it printed "OK name".</summary>
    public static void AssertPassed(ProcessResult result, string name, CoordinationServer server, ITestOutputHelper output)
    {
        output.WriteLine(result.Describe());
        var passed = !result.TimedOut && result.ExitCode == 0 &&
            result.StandardOutput.Split('\n').Any(line => line.TrimEnd() == "OK " + name);
        if (!passed)
        {
            Assert.Fail($"{name} failed against {server.Kind} ({server.ConnectString}).\n{result.Describe()}\n" +
                $"--- server log (last lines) ---\n{server.LogTail(40)}");
        }
        if (server.SpreadsClients)
        {
            AssertSpread(result, name, server);
        }
    }

    /// <summary>Every client the program started said which server it got: the k-th the (k mod n)-th of the connect string.</summary>
    private static void AssertSpread(ProcessResult result, string name, CoordinationServer server)
    {
        var servers = server.ConnectString.Split(',');
        var placed = result.StandardOutput.Split('\n')
            .Select(line => Regex.Match(line.TrimEnd(), @"^OBS client(\d+)\.server=(.+)$"))
            .Where(match => match.Success)
            .Select(match => (Client: int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), Server: match.Groups[2].Value))
            .ToList();
        Assert.True(placed.Count > 0, $"{name} did not report where its clients connected (COMPAT_SPREAD_CLIENTS ignored?).\n{result.Describe()}");
        foreach (var (client, at) in placed)
        {
            Assert.Equal(servers[client % servers.Length], at);
        }
    }

    /// <summary>
    /// COMPAT_SPREAD_CLIENTS=1 makes every client program give its k-th client only the (k mod n)-th server of the
    /// connect string (java/CompatProbe.java, java/CuratorProbe.java, python/compat_common.py).
    /// </summary>
    private static Dictionary<string, string> ClientEnvironment(CoordinationServer server) =>
        server.SpreadsClients ? new() { ["COMPAT_SPREAD_CLIENTS"] = "1" } : [];

    private static async Task<string> CompileCuratorProbeAsync()
    {
        _curatorClasses = new TemporaryDirectory("compat-curator");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _curatorClasses.Dispose();
        var result = await ProcessRunner.RunAsync(
            "javac",
            ["-nowarn", "-d", _curatorClasses.Path, "-cp", CuratorClassPath, Path.Combine(RepositoryPaths.JavaSources, "CuratorProbe.java")],
            TimeSpan.FromMinutes(3));
        if (result.ExitCode != 0 || result.TimedOut)
        {
            throw new InvalidOperationException($"javac CuratorProbe.java failed (is 'libcurator-recipes-java' installed? infra/test.sh installs it).\n{result.Describe()}");
        }

        return _curatorClasses.Path;
    }

    private static async Task<string> CompileProbeAsync()
    {
        // One compilation per test run, shared by both servers' tests; removed when the run ends.
        _classes = new TemporaryDirectory("compat-java");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _classes.Dispose();
        var result = await ProcessRunner.RunAsync(
            "javac",
            ["-nowarn", "-d", _classes.Path, "-cp", RepositoryPaths.ZooKeeperJar, Path.Combine(RepositoryPaths.JavaSources, "CompatProbe.java")],
            TimeSpan.FromMinutes(3));
        if (result.ExitCode != 0 || result.TimedOut)
        {
            throw new InvalidOperationException($"javac CompatProbe.java failed (is a JDK and the 'zookeeper' package installed?).\n{result.Describe()}");
        }

        return _classes.Path;
    }
}
