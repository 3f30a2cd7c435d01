namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>Where things are: the repository, the built silo, the client programs and their runtimes.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository root (the directory holding Orleans.Coordination.sln).</summary>
    public static string RepositoryRoot => Root.Value;

    public static string ServerProject => Path.Combine(RepositoryRoot, "src", "Orleans.Coordination.Server");

    public static string ServerDll =>
        Path.Combine(ServerProject, "bin", "Release", "net10.0", "Orleans.Coordination.Server.dll");

    public static string SiloConfig => Path.Combine(RepositoryRoot, "silo.json");

    public static string ZkScript => Path.Combine(RepositoryRoot, "infra", "zk.sh");

    public static string EnsembleScript => Path.Combine(RepositoryRoot, "infra", "ensemble.sh");

    /// <summary>Our client programs, copied next to the test assembly.</summary>
    public static string JavaSources => Path.Combine(AppContext.BaseDirectory, "java");

    public static string PythonScripts => Path.Combine(AppContext.BaseDirectory, "python");

    /// <summary>The system python, which has python3-kazoo (the one on PATH may be another).</summary>
    public const string SystemPython = "/usr/bin/python3";

    public const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    public const string Slf4jSimpleJar = "/usr/share/java/slf4j-simple.jar";

    public const string ZkCli = "/usr/share/zookeeper/bin/zkCli.sh";

    public const string CClientMultiThreaded = "/usr/lib/zookeeper/bin/cli_mt";

    public const string CClientSingleThreaded = "/usr/lib/zookeeper/bin/cli_st";

    /// <summary>Parent of every temporary directory the suite creates; infra/test.sh points it at a directory it cleans.</summary>
    public static string TemporaryRoot
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("COMPAT_TEST_TMP");
            return string.IsNullOrEmpty(configured) ? Path.GetTempPath() : configured;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.Coordination.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Orleans.Coordination.sln not found above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
