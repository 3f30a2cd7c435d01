namespace Orleans.Coordination.Ensemble.Tests.Infrastructure;

/// <summary>Paths in the repository, and the Release build of the server that infra/ensemble.sh runs (built once here, then ENSEMBLE_NO_BUILD=1).</summary>
internal static class Repository
{
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static bool _built;

    public static string Root { get; } = FindRoot();

    public static string EnsembleScript => Path.Combine(Root, "infra", "ensemble.sh");

    private static string ServerProject => Path.Combine(Root, "src", "Orleans.Coordination.Server");

    private static string ServerDll => Path.Combine(ServerProject, "bin", "Release", "net10.0", "Orleans.Coordination.Server.dll");

    /// <summary>A fresh directory for one ensemble: under $COMPAT_TEST_TMP when infra/test.sh sets it (it kills leftover pids there).</summary>
    public static string NewScratchDirectory(string name)
    {
        var parent = Environment.GetEnvironmentVariable("COMPAT_TEST_TMP") is { Length: > 0 } t ? t : Path.GetTempPath();
        var dir = Path.Combine(parent, $"coord-ens-{name}-{Guid.NewGuid():N}"[..32]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Builds the server in Release when its dll is missing or older than a source file under src/ (a no-op after infra/test.sh's build).</summary>
    public static async Task EnsureServerBuiltAsync()
    {
        await BuildGate.WaitAsync();
        try
        {
            if (_built)
            {
                return;
            }

            if (NeedsBuild())
            {
                var result = await ProcessRunner.RunAsync("dotnet", ["build", "-c", "Release", ServerProject, "-nologo", "-v", "q"], TimeSpan.FromMinutes(10));
                if (result.ExitCode != 0)
                {
                    throw new InvalidOperationException($"building the server failed:\n{result}");
                }
            }

            _built = true;
        }
        finally
        {
            BuildGate.Release();
        }
    }

    private static bool NeedsBuild()
    {
        if (!File.Exists(ServerDll))
        {
            return true;
        }

        var built = File.GetLastWriteTimeUtc(ServerDll);
        var sep = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{sep}Orleans.Coordination.Cli{sep}", StringComparison.Ordinal))
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
}
