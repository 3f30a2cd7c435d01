namespace Orleans.Coordination.Cli.Tests.Infrastructure;

/// <summary>Runs `dotnet coord.dll ...`, the Release build of src/Orleans.Coordination.Cli, as an operator would.</summary>
internal static class Coord
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task<ProcessResult> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    /// <summary>Runs with <paramref name="stdin"/> as redirected input (the shell then reads lines, without a prompt).</summary>
    public static async Task<ProcessResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        await Repository.EnsureBuiltAsync();
        return await ProcessRunner.RunAsync("dotnet", args.Prepend(Repository.CoordDll), DefaultTimeout, stdin ?? "");
    }

    /// <summary>The zkCli command line against <paramref name="server"/>: coord -server HOST:PORT words...</summary>
    public static Task<ProcessResult> ZkAsync(string server, params string[] words) => RunAsync(["-server", server, .. words]);

    /// <summary>An interactive session fed from stdin: one line per command.</summary>
    public static Task<ProcessResult> ShellAsync(string server, params string[] lines) =>
        RunWithInputAsync(string.Join('\n', lines) + "\n", "-server", server);
}
