using System.Globalization;

namespace Orleans.Coordination.Storage;

/// <summary>
/// Owns every name this library gives to something on disk, so that a directory listing can be
/// read (and cleaned) by knowing one class.
/// </summary>
/// <remarks>
/// Layout of a data directory:
/// <code>
/// log/log.000000010000002a   transaction log segment whose first record has zxid 0x10000002a
/// epoch                      DurableValueFile (currentEpoch, acceptedEpoch, ...)
/// epoch.tmp                  its replacement while being written (deleted or renamed over epoch)
/// snapshots.db (+ -wal, -shm) SQLite snapshot store
/// </code>
/// </remarks>
public static class StorageNaming
{
    /// <summary>Prefix of a log segment file name; the rest is the first zxid as 16 lower-case hex digits.</summary>
    public const string LogSegmentPrefix = "log.";

    /// <summary>Sub-directory of the data directory that holds the transaction log.</summary>
    public const string LogDirectoryName = "log";

    /// <summary>Name of the SQLite snapshot database inside the data directory.</summary>
    public const string SnapshotDatabaseFileName = "snapshots.db";

    /// <summary>Name of the epoch file inside the data directory.</summary>
    public const string EpochFileName = "epoch";

    /// <summary>Suffix of a file being written that will be renamed over its final name.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>Name of the segment whose first record has <paramref name="firstZxid"/>.</summary>
    public static string LogSegmentFileName(long firstZxid) =>
        LogSegmentPrefix + firstZxid.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Parses a segment file name (no directory); false for any other file.</summary>
    public static bool TryParseLogSegmentFileName(string fileName, out long firstZxid)
    {
        firstZxid = 0;
        if (!fileName.StartsWith(LogSegmentPrefix, StringComparison.Ordinal)
            || fileName.Length != LogSegmentPrefix.Length + 16)
        {
            return false;
        }

        var hex = fileName.AsSpan(LogSegmentPrefix.Length);
        foreach (var c in hex)
        {
            // Only lower-case hex: exactly what LogSegmentFileName produces.
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out firstZxid);
    }

    /// <summary>Transaction log directory inside a data directory.</summary>
    public static string LogDirectory(string dataDirectory) => Path.Combine(dataDirectory, LogDirectoryName);

    /// <summary>Path of the SQLite snapshot database inside a data directory.</summary>
    public static string SnapshotDatabasePath(string dataDirectory) => Path.Combine(dataDirectory, SnapshotDatabaseFileName);

    /// <summary>Path of the epoch file inside a data directory.</summary>
    public static string EpochFilePath(string dataDirectory) => Path.Combine(dataDirectory, EpochFileName);

    /// <summary>Temporary name used while replacing <paramref name="finalPath"/> atomically.</summary>
    public static string TempPathFor(string finalPath) => finalPath + TempSuffix;
}
