using System.Diagnostics;

namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>Paths in the repository, and the Release build of `coord` the tests run (built once if missing or stale).</summary>
internal static class Repository
{
    private static readonly SemaphoreSlim BuildLock = new(1, 1);
    private static bool _built;

    public static string Root { get; } = FindRoot();

    public static string CliProject => Path.Combine(Root, "src", "Orleans.Coordination.Cli");

    public static string CoordDll => Path.Combine(CliProject, "bin", "Release", "net10.0", "coord.dll");

    public static string ServerDll => Path.Combine(Root, "src", "Orleans.Coordination.Server", "bin", "Release", "net10.0", "Orleans.Coordination.Server.dll");

    public static string EnsembleScript => Path.Combine(Root, "infra", "ensemble.sh");

    public static string ZkScript => Path.Combine(Root, "infra", "zk.sh");

    public static string ZkCli => "/usr/share/zookeeper/bin/zkCli.sh";

    /// <summary>Scratch directory for servers; under $COMPAT_TEST_TMP when infra/test.sh provides it (it cleans up after a crash).</summary>
    public static string NewScratchDirectory(string name)
    {
        var parent = Environment.GetEnvironmentVariable("COMPAT_TEST_TMP") is { Length: > 0 } t ? t : Path.GetTempPath();
        var dir = Path.Combine(parent, $"coord-cli-{name}-{Guid.NewGuid():N}"[..32]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Builds src/Orleans.Coordination.Cli in Release (which builds the server too) when coord.dll is missing or a
    /// source file of the CLI is newer. infra/test.sh builds everything first, so this is a no-op there.
    /// </summary>
    public static async Task EnsureBuiltAsync()
    {
        await BuildLock.WaitAsync();
        try
        {
            if (_built)
            {
                return;
            }

            if (NeedsBuild())
            {
                var result = await ProcessRunner.RunAsync("dotnet", ["build", "-c", "Release", CliProject, "-nologo", "-v", "q"], TimeSpan.FromMinutes(10));
                if (result.ExitCode != 0)
                {
                    throw new InvalidOperationException($"building the CLI failed:\n{result.Describe()}");
                }
            }

            _built = true;
        }
        finally
        {
            BuildLock.Release();
        }
    }

    private static bool NeedsBuild()
    {
        if (!File.Exists(CoordDll) || !File.Exists(ServerDll))
        {
            return true;
        }

        var built = File.GetLastWriteTimeUtc(CoordDll);
        return Directory.EnumerateFiles(CliProject, "*.*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
            .Any(f => File.GetLastWriteTimeUtc(f) > built);
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

        throw new InvalidOperationException($"Orleans.Coordination.sln not found above {AppContext.BaseDirectory}");
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }
    }
}
