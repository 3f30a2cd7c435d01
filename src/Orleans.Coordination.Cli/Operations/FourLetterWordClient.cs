using System.Net.Sockets;
using System.Text;

namespace Orleans.Coordination.Cli.Operations;

/// <summary>Sends a four-letter word to a client port and reads the answer until the server closes the connection.</summary>
internal static class FourLetterWordClient
{
    public static async Task<string> AskAsync(string host, int port, string word, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(host, port, cts.Token);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cts.Token);
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to '{word}' within {timeout.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>HOST:PORT (IPv6 as [addr]:port); the port defaults to <paramref name="defaultPort"/>.</summary>
    public static (string Host, int Port) ParseEndpoint(string text, int defaultPort)
    {
        var s = text.Trim();
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            if (close > 0)
            {
                var host6 = s[1..close];
                return s.Length > close + 2 && s[close + 1] == ':' && int.TryParse(s[(close + 2)..], out var p6) ? (host6, p6) : (host6, defaultPort);
            }
        }

        var colon = s.LastIndexOf(':');
        if (colon > 0 && s.IndexOf(':', StringComparison.Ordinal) == colon && int.TryParse(s[(colon + 1)..], out var port) && port is > 0 and < 65536)
        {
            return (s[..colon], port);
        }

        if (colon > 0 && s.IndexOf(':', StringComparison.Ordinal) == colon)
        {
            throw new Shell.CliException($"'{text}': the port must be a number between 1 and 65535");
        }

        return (s, defaultPort);
    }
}
