using System.Diagnostics;
using System.Text;

namespace Orleans.Coordination.Compat.Tests.Infrastructure;

/// <summary>What a finished (or killed) process left behind.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError, bool TimedOut, TimeSpan Elapsed)
{
    /// <summary>Everything worth showing when an assertion about this process fails.</summary>
    public string Describe() =>
        $"$ {Command}\nexit code {ExitCode}{(TimedOut ? " (killed: timed out)" : "")} after {Elapsed.TotalSeconds:F1} s\n" +
        $"--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

/// <summary>Runs a program to completion with a hard timeout; the whole process tree is killed when it expires.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? standardInput = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryPaths.RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var command = fileName + " " + string.Join(' ', psi.ArgumentList.Select(Quote));
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessResult(command, -1, "", $"could not start {fileName}: {e.Message}", false, stopwatch.Elapsed);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading its input; its output tells why.
        }

        var timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                Kill(process);
                await process.WaitForExitAsync();
            }
        }

        // WaitForExitAsync also waits for the redirected streams to reach end of file.
        return new ProcessResult(
            command,
            process.ExitCode,
            Snapshot(stdout),
            Snapshot(stderr),
            timedOut,
            stopwatch.Elapsed);
    }

    /// <summary>
    /// Like <see cref="RunAsync"/>, with stderr sent into stdout by the shell, so the two streams keep their
    /// relative order (zkCli prints results on both).
    /// </summary>
    public static Task<ProcessResult> RunMergedAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? standardInput = null) =>
        RunAsync("bash", ["-c", "exec \"$0\" \"$@\" 2>&1", fileName, .. arguments], timeout, standardInput);

    /// <summary>Kills the process and everything it started.</summary>
    public static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.Append(line).Append('\n');
        }
    }

    private static string Snapshot(StringBuilder source)
    {
        lock (source)
        {
            return source.ToString();
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=,@+".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";
}
