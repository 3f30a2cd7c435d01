using System.Globalization;

namespace Orleans.Coordination.Cli.Shell;

/// <summary>
/// zkCli's command line: <c>-server host:port[,host:port][/chroot] [-timeout ms] [-r] [-waitforconnection] [cmd args]</c>.
/// The first word that is not one of these options starts the command; the words after it are its arguments, as given.
/// </summary>
internal sealed record ZkCliArguments(string Server, int TimeoutMs, bool ReadOnly, string[]? Command)
{
    public const string DefaultServer = "localhost:2181";
    public const int DefaultTimeoutMs = 30000;

    /// <summary>Leading words that select the zkCli mode rather than the operations commands.</summary>
    public static bool IsOption(string word) => word is "-server" or "-timeout" or "-r" or "-waitforconnection" or "-client-configuration";

    public static ZkCliArguments Parse(string[] args)
    {
        var server = DefaultServer;
        var timeout = DefaultTimeoutMs;
        var readOnly = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-server":
                    server = Next(args, ref i);
                    break;
                case "-timeout":
                    var text = Next(args, ref i);
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out timeout) || timeout <= 0)
                    {
                        throw new CliException($"-timeout must be a positive number of milliseconds, got '{text}'");
                    }

                    break;
                case "-r":
                    readOnly = true;
                    break;
                case "-waitforconnection":
                    // The shell always waits for its connection (bounded by -timeout).
                    break;
                case "-client-configuration":
                    Next(args, ref i);
                    throw new CliException("-client-configuration is not supported (no SASL or TLS in this client)");
                default:
                    return new ZkCliArguments(server, timeout, readOnly, args[i..]);
            }
        }

        return new ZkCliArguments(server, timeout, readOnly, null);
    }

    private static string Next(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new CliException($"{args[i - 1]} needs a value");
}
