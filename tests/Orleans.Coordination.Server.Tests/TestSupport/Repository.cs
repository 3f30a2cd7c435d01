namespace Orleans.Coordination.Server.Tests.TestSupport;

/// <summary>Files of the repository the tests check (silo.json, docs, infra examples).</summary>
internal static class Repository
{
    /// <summary>The directory holding Orleans.Coordination.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the repository root.</summary>
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Orleans.Coordination.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Orleans.Coordination.sln not found above " + AppContext.BaseDirectory);
    }
}
