using System.Globalization;
using System.Text;
using System.Text.Json;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Txn;
using Orleans.Coordination.Storage;
using Orleans.Coordination.Storage.Log;

namespace Orleans.Coordination.Cli.Operations;

/// <summary>
/// log dump: every record of a silo's transaction log (DIR/log), like zkTxnLogToolkit. The log is opened with
/// <see cref="FileTxnLog.Open"/> through <see cref="ReadOnlyLogFileSystem"/>: Open's recovery would truncate a torn
/// tail, which must never happen to a log a silo is writing, so every write of recovery is dropped and the files stay
/// untouched. A running silo's newest records may therefore be left out (they look torn while being written); for a
/// complete dump use a stopped silo's data directory or a copy of it.
/// </summary>
internal static class LogDumpCommand
{
    private const int OpenAttempts = 3;

    public static async Task<int> RunAsync(string dataDir, bool json, string? fromZxid, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(dataDir))
        {
            throw new Shell.CliException($"{dataDir}: no such directory");
        }

        var logDir = StorageNaming.LogDirectory(Path.GetFullPath(dataDir));
        if (!Directory.Exists(logDir))
        {
            throw new Shell.CliException($"{dataDir} holds no transaction log ({logDir} does not exist); --data-dir is the silo's dataDir");
        }

        var after = ParseZxid(fromZxid);
        using var log = await OpenAsync(logDir, cancellationToken);
        foreach (var warning in log.RecoveryWarnings)
        {
            await error.WriteLineAsync($"note: {warning} (in the dump only: the files were not modified)");
        }

        return json
            ? await WriteJsonAsync(log, after, output, error, cancellationToken)
            : await WriteTextAsync(log, after, output, error, cancellationToken);
    }

    // A silo appending while recovery reads the tail can, rarely, make a record look damaged before the tail; a fresh
    // look settles it. Damage that stays is reported.
    private static async Task<FileTxnLog> OpenAsync(string logDir, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return FileTxnLog.Open(logDir, new TxnLogOptions { FileSystem = new ReadOnlyLogFileSystem(), ForceSync = false, Repair = false });
            }
            catch (LogCorruptedException) when (attempt < OpenAttempts)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static long ParseZxid(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return 0;
        }

        var t = text.Trim();
        var ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            : long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        return ok && v >= 0 ? v : throw new Shell.CliException($"--from-zxid: '{text}' is not a zxid (0x... or a decimal number)");
    }

    private static Transaction? Decode(LogRecord record, out string? problem)
    {
        try
        {
            problem = null;
            return Transaction.Deserialize(record.Payload.Span);
        }
        catch (JuteException e)
        {
            problem = $"record zxid 0x{record.Zxid:x} ({record.Payload.Length} bytes) is not a valid txn: {e.Message}";
            return null;
        }
    }

    private static async Task<int> WriteTextAsync(FileTxnLog log, long after, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(
            $"Orleans.Coordination transaction log {log.Directory}: {log.SegmentPaths.Count} segment(s), "
            + (log.LastZxid == 0 ? "empty" : $"zxids 0x{log.FirstZxid:x} to 0x{log.LastZxid:x}"));
        long count = 0;
        var bad = 0;
        foreach (var record in log.ReadFrom(after))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Decode(record, out var problem) is { } txn)
            {
                await output.WriteLineAsync(TxnFormat.Line(txn));
                count++;
            }
            else
            {
                await output.FlushAsync(cancellationToken);
                await error.WriteLineAsync($"error: {problem}");
                bad++;
            }
        }

        await output.WriteLineAsync($"EOF reached after {count} txns.");
        return bad == 0 ? 0 : 1;
    }

    private static async Task<int> WriteJsonAsync(FileTxnLog log, long after, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var bad = 0;
        long count = 0;
        await using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("directory", log.Directory);
            w.WriteStartArray("segments");
            foreach (var segment in log.SegmentPaths)
            {
                w.WriteStringValue(segment);
            }

            w.WriteEndArray();
            w.WriteString("firstZxid", $"0x{log.FirstZxid:x}");
            w.WriteString("lastZxid", $"0x{log.LastZxid:x}");
            w.WriteStartArray("warnings");
            foreach (var warning in log.RecoveryWarnings)
            {
                w.WriteStringValue(warning);
            }

            w.WriteEndArray();
            w.WriteStartArray("records");
            foreach (var record in log.ReadFrom(after))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Decode(record, out var problem) is { } txn)
                {
                    TxnFormat.WriteJson(w, txn);
                    count++;
                }
                else
                {
                    await error.WriteLineAsync($"error: {problem}");
                    bad++;
                }

                if (w.BytesPending + buffer.Length > 1 << 16)
                {
                    await DrainAsync(w, buffer, output);
                }
            }

            w.WriteEndArray();
            w.WriteNumber("count", count);
            w.WriteEndObject();
            await DrainAsync(w, buffer, output);
        }

        await output.WriteLineAsync();
        return bad == 0 ? 0 : 1;
    }

    private static async Task DrainAsync(Utf8JsonWriter w, MemoryStream buffer, TextWriter output)
    {
        await w.FlushAsync();
        await output.WriteAsync(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        buffer.SetLength(0);
    }
}
