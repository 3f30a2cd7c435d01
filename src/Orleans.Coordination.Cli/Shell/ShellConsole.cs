namespace Orleans.Coordination.Cli.Shell;

/// <summary>
/// The shell's output: command output on stdout, errors on stderr, and watch events that arrive on the client's
/// event thread at any time. While the line editor is reading, an event clears the input line, prints, and redraws it.
/// </summary>
internal sealed class ShellConsole(TextWriter output, TextWriter error)
{
    private readonly Lock _lock = new();
    private LineEditor? _editor;

    public TextWriter Output { get; } = output;

    public void WriteLine(string line)
    {
        lock (_lock)
        {
            Output.WriteLine(line);
        }
    }

    public void WriteLines(IEnumerable<string> lines)
    {
        lock (_lock)
        {
            foreach (var line in lines)
            {
                Output.WriteLine(line);
            }
        }
    }

    public void Error(string line)
    {
        lock (_lock)
        {
            Output.Flush();
            error.WriteLine(line);
            error.Flush();
        }
    }

    /// <summary>Text from another thread (watch events): printed between the editor's redraws.</summary>
    public void Asynchronous(string text)
    {
        lock (_lock)
        {
            _editor?.ClearForOutput();
            Output.Write(text);
            Output.Flush();
            _editor?.Redraw();
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            Output.Flush();
        }
    }

    /// <summary>Runs <paramref name="action"/> under the output lock (the editor draws with it).</summary>
    public void Locked(Action action)
    {
        lock (_lock)
        {
            action();
        }
    }

    /// <summary>The editor now reading a line, or null.</summary>
    public void SetEditor(LineEditor? editor)
    {
        lock (_lock)
        {
            _editor = editor;
        }
    }
}
