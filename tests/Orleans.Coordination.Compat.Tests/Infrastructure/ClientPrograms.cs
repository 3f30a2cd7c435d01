namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>Runs our client programs (java/CompatProbe.java, python/*.py) against a server.</summary>
public static class ClientPrograms
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(150);
    private static readonly Lazy<Task<string>> CompiledProbe = new(CompileProbeAsync);
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
            ScenarioTimeout);
    }

    /// <summary>Runs python/<paramref name="script"/>.py with the system python (which has kazoo).</summary>
    public static Task<ProcessResult> RunKazooScriptAsync(CoordinationServer server, string script) =>
        ProcessRunner.RunAsync(
            RepositoryPaths.SystemPython,
            [Path.Combine(RepositoryPaths.PythonScripts, script + ".py"), server.ConnectString, UniqueBasePath(script)],
            ScenarioTimeout,
            environment: new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1" },
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
