using System.Text;

namespace Orleans.Coordination.Cli.Shell;

/// <summary>
/// Line editing on a terminal with <see cref="Console.ReadKey(bool)"/>: left/right, home/end, backspace/delete,
/// up/down through the history, Ctrl+A/E/B/F/P/N/U/K/W/L, Tab completion; Ctrl+D on an empty line ends input,
/// Ctrl+C abandons the line. The line is drawn with ANSI escapes and may wrap over several terminal rows.
/// </summary>
internal sealed class LineEditor(ShellConsole console, Func<string, (int Start, IReadOnlyList<string> Candidates)>? completer = null)
{
    private readonly List<string> _history = [];
    private readonly StringBuilder _buffer = new();
    private string _prompt = "";
    private int _cursor;
    private int _cursorRow; // terminal row of the cursor, relative to the prompt's first row
    private bool _active;

    /// <summary>Lines entered so far (up/down walks them).</summary>
    public void AddHistory(string line)
    {
        if (line.Length > 0 && (_history.Count == 0 || _history[^1] != line))
        {
            _history.Add(line);
        }
    }

    /// <summary>Reads one line; null at the end of input (Ctrl+D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        _prompt = prompt;
        _buffer.Clear();
        _cursor = 0;
        _cursorRow = 0;
        var historyIndex = _history.Count;
        var pending = "";
        var previousCtrlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        console.Locked(() =>
        {
            _active = true;
            console.Output.Write(_prompt);
            console.Output.Flush();
        });
        console.SetEditor(this);
        try
        {
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                var ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        return Finish(_buffer.ToString());
                    case ConsoleKey.Backspace:
                        if (_cursor > 0)
                        {
                            _buffer.Remove(--_cursor, 1);
                        }

                        break;
                    case ConsoleKey.Delete:
                        if (_cursor < _buffer.Length)
                        {
                            _buffer.Remove(_cursor, 1);
                        }

                        break;
                    case ConsoleKey.LeftArrow:
                    case ConsoleKey.B when ctrl:
                        _cursor = Math.Max(0, _cursor - 1);
                        break;
                    case ConsoleKey.RightArrow:
                    case ConsoleKey.F when ctrl:
                        _cursor = Math.Min(_buffer.Length, _cursor + 1);
                        break;
                    case ConsoleKey.Home:
                    case ConsoleKey.A when ctrl:
                        _cursor = 0;
                        break;
                    case ConsoleKey.End:
                    case ConsoleKey.E when ctrl:
                        _cursor = _buffer.Length;
                        break;
                    case ConsoleKey.UpArrow:
                    case ConsoleKey.P when ctrl:
                        if (historyIndex > 0)
                        {
                            if (historyIndex == _history.Count)
                            {
                                pending = _buffer.ToString();
                            }

                            Replace(_history[--historyIndex]);
                        }

                        break;
                    case ConsoleKey.DownArrow:
                    case ConsoleKey.N when ctrl:
                        if (historyIndex < _history.Count)
                        {
                            historyIndex++;
                            Replace(historyIndex == _history.Count ? pending : _history[historyIndex]);
                        }

                        break;
                    case ConsoleKey.U when ctrl:
                        _buffer.Remove(0, _cursor);
                        _cursor = 0;
                        break;
                    case ConsoleKey.K when ctrl:
                        _buffer.Length = _cursor;
                        break;
                    case ConsoleKey.W when ctrl:
                        var start = _cursor;
                        while (start > 0 && _buffer[start - 1] == ' ')
                        {
                            start--;
                        }

                        while (start > 0 && _buffer[start - 1] != ' ')
                        {
                            start--;
                        }

                        _buffer.Remove(start, _cursor - start);
                        _cursor = start;
                        break;
                    case ConsoleKey.L when ctrl:
                        console.Locked(() =>
                        {
                            console.Output.Write("\u001b[H\u001b[2J");
                            _cursorRow = 0;
                        });
                        break;
                    case ConsoleKey.D when ctrl:
                        if (_buffer.Length == 0)
                        {
                            return Finish(null);
                        }

                        if (_cursor < _buffer.Length)
                        {
                            _buffer.Remove(_cursor, 1);
                        }

                        break;
                    case ConsoleKey.C when ctrl:
                        console.Locked(() =>
                        {
                            _cursor = _buffer.Length;
                            Render();
                            console.Output.Write("^C");
                        });
                        _buffer.Clear();
                        return Finish("");
                    case ConsoleKey.Tab:
                        Complete();
                        break;
                    default:
                        if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar))
                        {
                            _buffer.Insert(_cursor++, key.KeyChar);
                        }

                        break;
                }

                console.Locked(Render);
            }
        }
        finally
        {
            console.SetEditor(null);
            Console.TreatControlCAsInput = previousCtrlC;
        }
    }

    /// <summary>Called under the console lock: moves to a clean line so that other output can be printed.</summary>
    public void ClearForOutput()
    {
        if (!_active)
        {
            return;
        }

        MoveUp(_cursorRow);
        console.Output.Write("\r\u001b[J");
        _cursorRow = 0;
    }

    /// <summary>Called under the console lock after other output: draws the prompt and the line again.</summary>
    public void Redraw()
    {
        if (!_active)
        {
            return;
        }

        _cursorRow = 0;
        Render();
    }

    private string? Finish(string? line)
    {
        console.Locked(() =>
        {
            _cursor = _buffer.Length;
            Render();
            console.Output.Write('\n');
            console.Output.Flush();
            _active = false;
        });
        return line;
    }

    private void Replace(string text)
    {
        _buffer.Clear().Append(text);
        _cursor = _buffer.Length;
    }

    private void Complete()
    {
        if (completer is null)
        {
            return;
        }

        var (start, candidates) = completer(_buffer.ToString(0, _cursor));
        if (candidates.Count == 0)
        {
            return;
        }

        var word = _buffer.ToString(start, _cursor - start);
        var common = candidates[0];
        foreach (var c in candidates.Skip(1))
        {
            var n = 0;
            while (n < common.Length && n < c.Length && common[n] == c[n])
            {
                n++;
            }

            common = common[..n];
        }

        if (candidates.Count == 1 && !common.EndsWith('/'))
        {
            common += " ";
        }

        if (common.Length > word.Length)
        {
            _buffer.Remove(start, _cursor - start).Insert(start, common);
            _cursor = start + common.Length;
            return;
        }

        if (candidates.Count > 1)
        {
            console.Locked(() =>
            {
                ClearForOutput();
                console.Output.WriteLine(string.Join("  ", candidates));
                Redraw();
            });
        }
    }

    // Draws prompt + buffer from the prompt's first row and leaves the terminal cursor at _cursor.
    private void Render()
    {
        var o = console.Output;
        var width = Width();
        MoveUp(_cursorRow);
        o.Write('\r');
        o.Write(_prompt);
        o.Write(_buffer.ToString());
        o.Write("\u001b[J");
        var total = _prompt.Length + _buffer.Length;
        var endRow = total / width;
        if (total > 0 && total % width == 0)
        {
            o.Write("\r\n"); // leave the terminal's pending-wrap state: the cursor is now really on row endRow
        }

        var target = _prompt.Length + _cursor;
        var targetRow = target / width;
        MoveUp(endRow - targetRow);
        o.Write('\r');
        if (target % width > 0)
        {
            o.Write($"\u001b[{target % width}C");
        }

        _cursorRow = targetRow;
        o.Flush();
    }

    private void MoveUp(int rows)
    {
        if (rows > 0)
        {
            console.Output.Write($"\u001b[{rows}A");
        }
    }

    private static int Width()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
