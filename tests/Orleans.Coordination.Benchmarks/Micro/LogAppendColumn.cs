using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Orleans.Coordination.Benchmarks.Micro;

/// <summary>Records/s, fsyncs/record and fsyncs/s of a <see cref="LogAppendBenchmarks"/> case.</summary>
internal sealed class LogAppendColumn(LogAppendColumn.Kind kind) : IColumn
{
    public enum Kind
    {
        FsyncsPerRecord,
        RecordsPerSecond,
        FsyncsPerSecond,
    }

    public string Id => "LogAppend." + kind;

    public string ColumnName => kind switch
    {
        Kind.FsyncsPerRecord => "Fsyncs/record",
        Kind.RecordsPerSecond => "Records/s",
        _ => "Fsyncs/s",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind switch
    {
        Kind.FsyncsPerRecord => "fsyncs issued by the log divided by records appended (all iterations of the case)",
        Kind.RecordsPerSecond => "records made durable per second (1 / mean)",
        _ => "fsyncs per second: Records/s x Fsyncs/record",
    };

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(IsLogAppend);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (!IsLogAppend(benchmarkCase))
        {
            return "-";
        }

        var meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        var recordsPerSecond = meanNs is > 0 ? 1e9 / meanNs.Value : double.NaN;
        var writers = Convert.ToInt32(benchmarkCase.Parameters[nameof(LogAppendBenchmarks.Writers)], CultureInfo.InvariantCulture);
        var stats = LogAppendStats.Read(writers);
        var fsyncsPerRecord = stats is { Records: > 0 } s ? (double)s.Fsyncs / s.Records : double.NaN;
        return kind switch
        {
            Kind.FsyncsPerRecord => fsyncsPerRecord.ToString("F4", CultureInfo.InvariantCulture),
            Kind.RecordsPerSecond => recordsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
            _ => (recordsPerSecond * fsyncsPerRecord).ToString("N0", CultureInfo.InvariantCulture),
        };
    }

    public override string ToString() => ColumnName;

    private static bool IsLogAppend(BenchmarkCase benchmarkCase) => benchmarkCase.Descriptor.Type == typeof(LogAppendBenchmarks);
}
