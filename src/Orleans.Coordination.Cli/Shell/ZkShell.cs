using System.Globalization;
using System.Reflection;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Cli.Shell;

/// <summary>
/// The zkCli-compatible shell: one command from the command line, or an interactive session reading lines from a
/// terminal (with line editing) or from redirected input (plain lines, no prompt, as zkCli without JLine).
/// Output formats follow zkCli 3.8; errors go to stderr and make the status 1 (127 for an unknown command).
/// </summary>
internal sealed partial class ZkShell : IAsyncDisposable
{
    private readonly ShellConsole _console;
    private readonly ZkCliArguments _arguments;
    private readonly bool _interactive;
    private readonly Dictionary<int, string> _history = [];
    private readonly Lock _eventsLock = new();
    private readonly List<Task<WatchEvent>> _oneShotWatches = [];
    private readonly Dictionary<string, Task<WatchEvent>> _oneShotByKey = new(StringComparer.Ordinal);
    private readonly List<PersistentWatch> _persistentWatches = [];
    private readonly SemaphoreSlim _commandGate = new(1, 1); // held while a command runs: the pump prints only between commands
    private readonly SortedDictionary<string, ShellCommand> _commands;
    private CoordinationClient? _client;
    private string _host;
    private bool _printWatches = true;
    private int _commandCount;
    private bool _quit;

    public ZkShell(ZkCliArguments arguments, ShellConsole console, bool interactive)
    {
        _arguments = arguments;
        _console = console;
        _interactive = interactive;
        _host = arguments.Server;
        _commands = new(StringComparer.Ordinal);
        foreach (var command in Commands())
        {
            _commands.Add(command.Name, command);
        }
    }

    /// <summary>Whether <paramref name="word"/> names a zkCli command (so "coord ls /" works as "zkCli.sh ls /").</summary>
    public static bool IsCommand(string word) => CommandNames.Contains(word);

    private static readonly HashSet<string> CommandNames =
    [
        "addWatch", "addauth", "close", "config", "connect", "create", "delete", "deleteall", "get", "getAcl", "getAllChildrenNumber",
        "getEphemerals", "help", "history", "ls", "printwatches", "quit", "redo", "removewatches", "set", "setAcl", "stat", "sync",
        "whoami", "version",
    ];

    private sealed record ShellCommand(string Name, string Usage, bool NeedsConnection, Func<IReadOnlyList<string>, Task<int>> Run);

    /// <summary>Runs zkCli's command line: one command, or the interactive shell when none is given.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var console = new ShellConsole(Console.Out, Console.Error);
        ZkCliArguments arguments;
        try
        {
            arguments = ZkCliArguments.Parse(args);
        }
        catch (CliException e)
        {
            console.Error(e.Message);
            return 2;
        }

        await using var shell = new ZkShell(arguments, console, interactive: arguments.Command is null);
        return arguments.Command is { } command ? await shell.RunOneAsync(command) : await shell.RunInteractiveAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseClientAsync(announce: _interactive);
        _commandGate.Dispose();
    }

    private async Task<int> RunOneAsync(string[] words)
    {
        _history[0] = string.Join(' ', words);
        var status = await ExecuteAsync(words);
        _console.Flush();
        return status;
    }

    private async Task<int> RunInteractiveAsync()
    {
        var terminal = !Console.IsInputRedirected;
        _console.WriteLine($"Connecting to {_host}");
        _console.WriteLine("Welcome to ZooKeeper!");
        _console.WriteLine(terminal ? "Line editing is enabled" : "Line editing is disabled (input is not a terminal)");
        try
        {
            await ConnectAsync(_host);
        }
        catch (CliException e)
        {
            _console.Error(e.Message);
        }

        var editor = terminal ? new LineEditor(_console, Complete) : null;
        var status = 0;
        using var stopPump = new CancellationTokenSource();
        var pump = PumpEventsAsync(stopPump.Token);
        while (!_quit)
        {
            var line = editor is not null ? editor.ReadLine(Prompt()) : await Console.In.ReadLineAsync();
            if (line is null)
            {
                break;
            }

            var words = CommandTokenizer.Split(line);
            if (words.Length == 0)
            {
                continue;
            }

            editor?.AddHistory(line);
            _history[_commandCount] = line;
            await _commandGate.WaitAsync();
            try
            {
                var result = await ExecuteAsync(words);
                if (words[0] != "quit")
                {
                    status = result;
                }

                _commandCount++;
                DrainEvents();
                _console.Flush();
            }
            finally
            {
                _commandGate.Release();
            }
        }

        await stopPump.CancelAsync();
        await pump;
        return status;
    }

    private string Prompt() => $"[zk: {_host}({ZkFormat.StateName(_client?.State)}) {_commandCount}] ";

    private async Task<int> ExecuteAsync(IReadOnlyList<string> words)
    {
        if (!_commands.TryGetValue(words[0], out var command))
        {
            PrintUsage();
            _console.Error($"Command not found: Command not found {words[0]}");
            return 127;
        }

        try
        {
            if (command.NeedsConnection && !await EnsureConnectedAsync())
            {
                return 1;
            }

            return await command.Run(words);
        }
        catch (CliUsageException e)
        {
            if (e.Message.Length > 0)
            {
                _console.Error(e.Message);
            }

            _console.Error(command.Usage);
            return 1;
        }
        catch (CliException e)
        {
            _console.Error(e.Message);
            return 1;
        }
        catch (KeeperException e)
        {
            _console.Error(ZkFormat.ErrorMessage(e));
            return 1;
        }
        catch (ObjectDisposedException)
        {
            _console.WriteLine("Not connected");
            return 1;
        }
        catch (ArgumentException e)
        {
            _console.Error(e.Message);
            return 1;
        }
    }

    private void PrintUsage()
    {
        _console.Error("ZooKeeper -server host:port[,host:port][/chroot] [-timeout ms] [-r] cmd args");
        foreach (var command in _commands.Values.Where(c => c.Name != "help"))
        {
            _console.Error("\t" + command.Usage);
        }
    }

    private async Task<bool> EnsureConnectedAsync()
    {
        var client = _client;
        if (client is null)
        {
            if (_interactive)
            {
                _console.WriteLine("Not connected");
                return false;
            }

            // One command from the command line connects when it first needs to.
            await ConnectAsync(_host);
            client = _client!;
        }

        if (client.State == ConnectionState.NotStarted)
        {
            try
            {
                await client.ConnectAsync();
            }
            catch (ConnectionLossException e)
            {
                _console.Error(e.Message);
                return false;
            }
        }

        return true;
    }

    private async Task ConnectAsync(string host)
    {
        await CloseClientAsync(announce: _interactive);
        CoordinationClient client;
        try
        {
            client = new CoordinationClient(new CoordinationClientOptions
            {
                ConnectionString = host,
                SessionTimeout = TimeSpan.FromMilliseconds(_arguments.TimeoutMs),
                ConnectTimeout = TimeSpan.FromMilliseconds(_arguments.TimeoutMs),
                CanBeReadOnly = _arguments.ReadOnly,
            });
        }
        catch (FormatException e)
        {
            throw new CliException($"Invalid server address '{host}': {e.Message}");
        }

        _host = host;
        _client = client;
        client.StateChanged += OnStateChanged;
        if (!_interactive)
        {
            return;
        }

        try
        {
            await client.ConnectAsync();
            PrintEvent(client.State == ConnectionState.ReadOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected, EventType.None, null);
        }
        catch (ConnectionLossException e)
        {
            _console.Error(e.Message);
        }
    }

    private async Task CloseClientAsync(bool announce)
    {
        var client = _client;
        if (client is null)
        {
            return;
        }

        _client = null;
        client.StateChanged -= OnStateChanged;
        await client.DisposeAsync();
        ForgetWatches();
        if (announce)
        {
            PrintEvent(KeeperState.Closed, EventType.None, null);
        }
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        if (!_interactive || !ReferenceEquals(sender, _client))
        {
            return;
        }

        // The first connection and the close are announced where they happen, in order with the commands.
        KeeperState? state = e.State switch
        {
            ConnectionState.Suspended => KeeperState.Disconnected,
            ConnectionState.Reconnected => KeeperState.SyncConnected,
            ConnectionState.ReadOnly when e.PreviousState != ConnectionState.NotStarted => KeeperState.ConnectedReadOnly,
            ConnectionState.Lost => KeeperState.Expired,
            _ => null,
        };
        if (state is { } s)
        {
            PrintEvent(s, EventType.None, null);
        }
    }

    // Watches are kept as tasks and streams, which the client completes on its socket reader before it completes
    // the reply that follows the notification. Draining them right after each command therefore prints the events a
    // command caused before the next command runs (zkCli prints from its event thread, racing the next command).
    private void TrackWatch(char kind, string path, Task<WatchEvent> changed)
    {
        lock (_eventsLock)
        {
            // The same path and kind watched twice fires once, as with zkCli's single default watcher.
            var key = kind + path;
            if (_oneShotByKey.TryGetValue(key, out var existing) && !existing.IsCompleted)
            {
                return;
            }

            _oneShotByKey[key] = changed;
            _oneShotWatches.Add(changed);
        }
    }

    private void TrackWatch(PersistentWatch watch)
    {
        lock (_eventsLock)
        {
            _persistentWatches.Add(watch);
        }
    }

    private void ForgetWatches()
    {
        lock (_eventsLock)
        {
            _oneShotWatches.Clear();
            _oneShotByKey.Clear();
            _persistentWatches.Clear();
        }
    }

    private void DrainEvents()
    {
        var events = new List<WatchEvent>();
        lock (_eventsLock)
        {
            var streams = new HashSet<(string, AddWatchMode)>();
            foreach (var watch in _persistentWatches.ToList())
            {
                var first = streams.Add((watch.Path, watch.Mode));
                while (watch.TryRead(out var e))
                {
                    if (first)
                    {
                        events.Add(e!);
                    }
                }

                if (watch.Completion.IsCompleted)
                {
                    _persistentWatches.Remove(watch);
                }
            }

            var oneShot = new List<WatchEvent>();
            foreach (var task in _oneShotWatches.Where(t => t.IsCompleted).ToList())
            {
                _oneShotWatches.Remove(task);
                if (task.IsCompletedSuccessfully && !events.Contains(task.Result) && !oneShot.Contains(task.Result))
                {
                    oneShot.Add(task.Result);
                }
            }

            events.InsertRange(0, oneShot);
            foreach (var key in _oneShotByKey.Where(kv => kv.Value.IsCompleted).Select(kv => kv.Key).ToList())
            {
                _oneShotByKey.Remove(key);
            }
        }

        foreach (var e in events.Where(e => e.Type != EventType.None))
        {
            PrintEvent(e.State, e.Type, e.Path);
        }
    }

    // While the shell waits for input, events caused by other clients are printed as they come.
    private async Task PumpEventsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (_commandGate.Wait(0))
                {
                    try
                    {
                        DrainEvents();
                    }
                    finally
                    {
                        _commandGate.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void PrintEvent(KeeperState state, EventType type, string? path)
    {
        if (_printWatches && _interactive)
        {
            _console.Asynchronous($"\nWATCHER::\n\n{ZkFormat.WatchedEvent(state, type, path)}\n");
        }
    }

    private CoordinationClient Client => _client ?? throw new ObjectDisposedException(nameof(CoordinationClient));

    private static string CliVersion()
    {
        var assembly = typeof(ZkShell).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        var built = File.GetLastWriteTimeUtc(assembly.Location).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        return $"{(plus > 0 ? version[..plus] : version)}-orleans-coordination, built on {built}";
    }

    // Tab completion: command names first, then paths (children of the parent typed so far).
    private (int Start, IReadOnlyList<string> Candidates) Complete(string text)
    {
        var start = text.LastIndexOf(' ') + 1;
        var word = text[start..];
        if (start == 0)
        {
            return (0, [.. _commands.Keys.Where(k => k.StartsWith(word, StringComparison.Ordinal))]);
        }

        if (!word.StartsWith('/') || _client is not { IsConnected: true } client)
        {
            return (start, []);
        }

        var slash = word.LastIndexOf('/');
        var parent = slash == 0 ? "/" : word[..slash];
        var prefix = word[(slash + 1)..];
        try
        {
            var children = client.GetChildrenAsync(parent).WaitAsync(TimeSpan.FromSeconds(2)).GetAwaiter().GetResult();
            return (start, [.. children.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(c => ZkPaths.Child(parent, c))]);
        }
        catch (Exception e) when (e is KeeperException or TimeoutException or ArgumentException or ObjectDisposedException)
        {
            return (start, []);
        }
    }
}
