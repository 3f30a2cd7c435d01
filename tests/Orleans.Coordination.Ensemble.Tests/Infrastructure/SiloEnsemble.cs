using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Orleans.Coordination.Client;

namespace Orleans.Coordination.Ensemble.Tests.Infrastructure;

/// <summary>
/// N silo processes started by <c>infra/ensemble.sh start N DIR</c> on port blocks nothing else uses. Silo i's client port is
/// ClientBase+i. <see cref="KillAsync"/> is SIGKILL of the pid ensemble.sh recorded; <see cref="StartOneAsync"/> restarts a
/// silo on its data.
/// </summary>
public abstract class SiloEnsemble : IAsyncLifetime
{
    private readonly Dictionary<string, string> _environment;

    /// <param name="size">Number of silos.</param>
    /// <param name="siloArgs">Extra <c>--key value</c> settings for every silo (ENSEMBLE_SILO_ARGS), or null.</param>
    protected SiloEnsemble(int size, string? siloArgs = null)
    {
        Size = size;
        Directory = Repository.NewScratchDirectory($"{size}");
        var bases = FreePorts.Bases(4, size);
        ClientBase = bases[0];
        _environment = new Dictionary<string, string>
        {
            ["ENSEMBLE_CLIENT_PORT_BASE"] = bases[0].ToString(CultureInfo.InvariantCulture),
            ["ENSEMBLE_ADMIN_PORT_BASE"] = bases[1].ToString(CultureInfo.InvariantCulture),
            ["ENSEMBLE_QUORUM_PORT_BASE"] = bases[2].ToString(CultureInfo.InvariantCulture),
            ["ENSEMBLE_ELECTION_PORT_BASE"] = bases[3].ToString(CultureInfo.InvariantCulture),
            ["ENSEMBLE_NO_BUILD"] = "1",
            ["ENSEMBLE_START_TIMEOUT"] = "90",
        };
        if (siloArgs is not null)
        {
            _environment["ENSEMBLE_SILO_ARGS"] = siloArgs;
        }
    }

    public int Size { get; }

    public string Directory { get; }

    public int ClientBase { get; }

    public IEnumerable<int> Ids => Enumerable.Range(1, Size);

    public int Port(int i) => ClientBase + i;

    public string Host(int i) => $"127.0.0.1:{Port(i).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Every silo, starting with <paramref name="first"/>, so that clients given different firsts spread over the ensemble.</summary>
    public string ConnectionStringFrom(int first) =>
        string.Join(',', Enumerable.Range(0, Size).Select(k => Host(((first - 1 + k) % Size) + 1)));

    /// <summary>The silo whose client port is <paramref name="port"/>, or 0.</summary>
    public int IdOfPort(int port) => port - ClientBase is var i && i >= 1 && i <= Size ? i : 0;

    public async Task InitializeAsync()
    {
        await Repository.EnsureServerBuiltAsync();
        var result = await RunScriptAsync(["start", Size.ToString(CultureInfo.InvariantCulture), Directory], TimeSpan.FromMinutes(3));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"the {Size}-silo ensemble did not start:\n{result}\n{LogTails()}");
        }
    }

    public async Task DisposeAsync()
    {
        await RunScriptAsync(["stop", Directory], TimeSpan.FromSeconds(60));
        if (Environment.GetEnvironmentVariable("COORD_ENSEMBLE_TESTS_KEEP") != "1")
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // A silo still exiting may hold a file; the directory is in the temporary area anyway.
            }
        }
    }

    /// <summary>SIGKILL of silo <paramref name="i"/>; returns once the process is gone.</summary>
    public async Task KillAsync(int i)
    {
        var pid = int.Parse(await File.ReadAllTextAsync(PidFile(i)), CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill(); // SIGKILL on Unix

        // Not our child, so WaitForExitAsync would notice the exit late; /proc shows it at once (a zombie has already
        // closed its sockets, which is what clients and peers see).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (IsAlive(pid))
        {
            Assert.True(DateTime.UtcNow < deadline, $"silo {i} (pid {pid}) still alive 30 s after SIGKILL");
            await Task.Delay(5);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    public bool IsRunning(int i)
    {
        if (!File.Exists(PidFile(i)))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(int.Parse(File.ReadAllText(PidFile(i)), CultureInfo.InvariantCulture));
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary><c>ensemble.sh start-one I DIR</c>: returns once silo i serves sessions again (it has joined a leader).</summary>
    public async Task StartOneAsync(int i)
    {
        var result = await RunScriptAsync(["start-one", i.ToString(CultureInfo.InvariantCulture), Directory], TimeSpan.FromMinutes(2));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"silo {i} did not restart:\n{result}\n{LogTails()}");
        }
    }

    /// <summary>Restarts whatever a previous (failed) test left dead, so each test starts on a whole ensemble.</summary>
    public async Task EnsureAllRunningAsync()
    {
        foreach (var i in Ids.Where(i => !IsRunning(i)).ToList())
        {
            await StartOneAsync(i);
        }
    }

    /// <summary>Answer of a four-letter word, or null when the silo does not answer.</summary>
    public async Task<string?> FourLetterWordAsync(int i, string word)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port(i), cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(cts.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The "Mode:" and "Zxid:" lines of <c>srvr</c>; null when the silo does not answer or does not serve.</summary>
    public async Task<(string Mode, long Zxid)?> SrvrAsync(int i)
    {
        var text = await FourLetterWordAsync(i, "srvr");
        if (text is null)
        {
            return null;
        }

        string? mode = null;
        long? zxid = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("Mode: ", StringComparison.Ordinal))
            {
                mode = line["Mode: ".Length..].Trim();
            }
            else if (line.StartsWith("Zxid: 0x", StringComparison.Ordinal))
            {
                zxid = long.Parse(line["Zxid: 0x".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return mode is null || zxid is null ? null : (mode, zxid.Value);
    }

    /// <summary>The one running silo whose srvr says leader, waiting for an election to finish (bounded).</summary>
    public async Task<int> LeaderAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var leaders = new List<int>();
            foreach (var i in Ids.Where(IsRunning))
            {
                if (await SrvrAsync(i) is { Mode: "leader" })
                {
                    leaders.Add(i);
                }
            }

            if (leaders.Count == 1)
            {
                return leaders[0];
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"no single leader after {timeout} (leaders: [{string.Join(",", leaders)}])\n{LogTails()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits (bounded) until every listed silo reports the same zxid in srvr; returns it and how long it took. Call it
    /// with no writes in flight.
    /// </summary>
    public async Task<(long Zxid, TimeSpan Elapsed)> WaitSameZxidAsync(IReadOnlyCollection<int> ids, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var last = "";
        while (watch.Elapsed < timeout)
        {
            var views = new List<(int Id, long Zxid)>();
            foreach (var i in ids)
            {
                if (await SrvrAsync(i) is { } s && s.Mode is "leader" or "follower")
                {
                    views.Add((i, s.Zxid));
                }
            }

            last = string.Join(", ", views.Select(v => $"s{v.Id}=0x{v.Zxid:x}"));
            if (views.Count == ids.Count && views.Select(v => v.Zxid).Distinct().Count() == 1)
            {
                return (views[0].Zxid, watch.Elapsed);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"silos [{string.Join(",", ids)}] did not agree on a zxid within {timeout}: {last}\n{LogTails()}");
    }

    /// <summary>A client that talks to silo <paramref name="i"/> only (for per-silo checks).</summary>
    public async Task<CoordinationClient> ConnectPinnedAsync(int i, TimeSpan? sessionTimeout = null)
    {
        var client = new CoordinationClient(new CoordinationClientOptions
        {
            ConnectionString = Host(i),
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(20),
        });
        try
        {
            await client.ConnectAsync();
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    public string LogTails(int lines = 30) =>
        string.Join('\n', Ids.Select(i => $"--- s{i}/silo.log ---\n{Tail(Path.Combine(Directory, $"s{i}", "silo.log"), lines)}"));

    private static string Tail(string file, int lines)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"({e.Message})";
        }
    }

    private string PidFile(int i) => Path.Combine(Directory, $"s{i}", "pid");

    private Task<CommandResult> RunScriptAsync(IReadOnlyList<string> arguments, TimeSpan timeout) =>
        ProcessRunner.RunAsync("bash", [Repository.EnsembleScript, .. arguments], timeout, _environment);
}

/// <summary>One 3-silo ensemble shared by the tests of a class; each test leaves every silo running again.</summary>
public sealed class ThreeSiloEnsemble() : SiloEnsemble(3);

/// <summary>
/// One 5-silo ensemble. Its silos keep only 50 applied proposals in memory (the default is 5000), so a silo that
/// restarts after a few hundred writes catches up from a snapshot sent by the leader rather than a DIFF.
/// </summary>
public sealed class FiveSiloEnsemble() : SiloEnsemble(5, "--ensemble.commitLogCount 50")
{
    public const int CommitLogCount = 50;
}
