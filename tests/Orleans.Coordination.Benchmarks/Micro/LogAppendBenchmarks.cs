using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Orleans.Coordination.Storage.Log;

namespace Orleans.Coordination.Benchmarks.Micro;

/// <summary>
/// Group commit of the transaction log: <see cref="Writers"/> concurrent writers each append 1 KiB
/// records with <see cref="FileTxnLog.AppendAsync"/> and wait for durability before appending the
/// next, on one <see cref="FileTxnLog"/> in a temporary directory on the real disk with forceSync
/// on. Reported per record (Op/s = records/s); the Fsyncs/record and Fsyncs/s columns come from
/// <see cref="FileTxnLog.FsyncCount"/>, measured in the benchmark process and handed to the host
/// through <see cref="LogAppendStats"/>.
/// </summary>
[Config(typeof(LogAppendConfig))]
[InvocationCount(1)]
public class LogAppendBenchmarks
{
    /// <summary>Records appended per invocation, spread evenly over the writers.</summary>
    public const int RecordsPerInvocation = 4096;

    public const int PayloadSize = 1024;

    private readonly object _gate = new();
    private FileTxnLog _log = null!;
    private string _directory = "";
    private byte[] _payload = [];
    private long _zxid;
    private long _records;
    private long _fsyncs;

    [Params(1, 16, 256)]
    public int Writers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "occ-logbench-" + Guid.NewGuid().ToString("N")[..8]);
        _log = FileTxnLog.Open(_directory, new TxnLogOptions { ForceSync = true });
        _payload = new byte[PayloadSize];
        new Random(5).NextBytes(_payload);
        _zxid = 1L << 32;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        Directory.Delete(_directory, recursive: true);
        LogAppendStats.Write(Writers, _records, _fsyncs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// LogAppend writers={Writers}: {_records} records, {_fsyncs} fsyncs, {(double)_fsyncs / Math.Max(1, _records):F4} fsyncs/record"));
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvocation, Description = "AppendAsync 1 KiB, forceSync")]
    public void Append()
    {
        var perWriter = RecordsPerInvocation / Writers;
        var before = _log.FsyncCount;
        var writers = new Task[Writers];
        for (var i = 0; i < writers.Length; i++)
        {
            writers[i] = Task.Run(() => WriteAsync(perWriter));
        }

        Task.WaitAll(writers);
        _fsyncs += _log.FsyncCount - before;
        _records += perWriter * Writers;
    }

    private async Task WriteAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            ValueTask durable;
            lock (_gate)
            {
                // Zxids must increase in append order: take the next one and append under one lock.
                durable = _log.AppendAsync(++_zxid, _payload);
            }

            await durable;
        }
    }

    private sealed class LogAppendConfig : ManualConfig
    {
        public LogAppendConfig()
        {
            AddColumn(new LogAppendColumn(LogAppendColumn.Kind.FsyncsPerRecord));
            AddColumn(new LogAppendColumn(LogAppendColumn.Kind.RecordsPerSecond));
            AddColumn(new LogAppendColumn(LogAppendColumn.Kind.FsyncsPerSecond));
        }
    }
}

/// <summary>
/// Record and fsync counts of one <see cref="LogAppendBenchmarks"/> case, written by the benchmark
/// process (which owns the log) and read by the host process (which prints the summary).
/// </summary>
internal static class LogAppendStats
{
    private static string Folder => Path.Combine(Path.GetTempPath(), "orleans-coordination-micro");

    public static void Reset()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    public static void Write(int writers, long records, long fsyncs)
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(FileFor(writers), string.Create(CultureInfo.InvariantCulture, $"{records} {fsyncs}"));
    }

    public static (long Records, long Fsyncs)? Read(int writers)
    {
        var file = FileFor(writers);
        if (!File.Exists(file))
        {
            return null;
        }

        var parts = File.ReadAllText(file).Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static string FileFor(int writers) => Path.Combine(Folder, $"logappend-{writers}.txt");
}
