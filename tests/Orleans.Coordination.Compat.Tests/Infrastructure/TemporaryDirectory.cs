namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>A fresh directory under <see cref="RepositoryPaths.TemporaryRoot"/>, deleted on dispose.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(
            RepositoryPaths.TemporaryRoot, $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A process we started may still be writing a log; the run's temporary root is cleaned later.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
