using BenchmarkDotNet.Attributes;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;
using Tree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.Benchmarks.Micro;

/// <summary>Shared helpers: committed txns as the sequencer would stamp them.</summary>
internal static class TreeTxns
{
    public const long SessionId = 0x1234;

    public static long Zxid(int counter) => (1L << 32) | (uint)counter;

    public static Transaction Create(int counter, string path, byte[] data, int parentCversion) => new(
        new TxnHeader(SessionId, counter, Zxid(counter), 1_700_000_000_000 + counter, TxnType.Create),
        new CreateTxn(path, data, Acl.OpenAclUnsafe, 0, parentCversion, OpCode.Create));

    public static Transaction SetData(int counter, string path, byte[] data, int version) => new(
        new TxnHeader(SessionId, counter, Zxid(counter), 1_700_000_000_000 + counter, TxnType.SetData),
        new SetDataTxn(path, data, version));

    /// <summary>
    /// A tree holding /bench and <paramref name="nodes"/> children of it with <paramref name="dataSize"/>
    /// bytes each (a distinct array per node, as after real writes); returns the next free zxid counter.
    /// </summary>
    public static Tree Populate(int nodes, int dataSize, out int nextCounter)
    {
        var tree = new Tree();
        var counter = 1;
        tree.Apply(Create(counter++, "/bench", [], 1));
        var random = new Random(7);
        for (var i = 0; i < nodes; i++)
        {
            var data = new byte[dataSize];
            random.NextBytes(data);
            tree.Apply(Create(counter++, ChildPath(i), data, i + 1));
        }

        nextCounter = counter;
        return tree;
    }

    public static string ChildPath(int i) => "/bench/n" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The apply loop: committed txns applied to a <see cref="Tree"/> one after the other, on one
/// thread, as every silo does. Reported per txn (Op/s is txns applied per second).
/// </summary>
[MemoryDiagnoser]
public class TreeApplyBenchmarks
{
    /// <summary>Txns per invocation.</summary>
    public const int N = 100_000;

    private Transaction[] _creates = [];
    private Transaction[] _sets = [];
    private Transaction _createParent = null!;
    private Tree _createTree = null!;
    private Tree _setTree = null!;

    [GlobalSetup]
    public void Setup()
    {
        var payload100 = new byte[100];
        var payload1k = new byte[1024];
        new Random(1).NextBytes(payload100);
        new Random(2).NextBytes(payload1k);
        _createParent = TreeTxns.Create(1, "/bench", [], 1);
        _creates = new Transaction[N];
        for (var i = 0; i < N; i++)
        {
            _creates[i] = TreeTxns.Create(i + 2, TreeTxns.ChildPath(i), payload100, i + 1);
        }

        _setTree = TreeTxns.Populate(N, 100, out var next);
        _sets = new Transaction[N];
        for (var i = 0; i < N; i++)
        {
            // Set nodes in a scattered order, not sequentially.
            var target = (int)((uint)(i * 2654435761u) % N);
            _sets[i] = TreeTxns.SetData(next + i, TreeTxns.ChildPath(target), payload1k, 1);
        }
    }

    [IterationSetup(Target = nameof(ApplyCreate))]
    public void FreshTree()
    {
        _createTree = new Tree();
        _createTree.Apply(_createParent);
    }

    [Benchmark(OperationsPerInvoke = N, Description = "Apply create (100 B), 100k into an empty tree")]
    public int ApplyCreate()
    {
        var tree = _createTree;
        foreach (var txn in _creates)
        {
            tree.Apply(txn);
        }

        return tree.NodeCount;
    }

    [Benchmark(OperationsPerInvoke = N, Description = "Apply setData (1 KiB), 100k on a 100k-node tree")]
    public long ApplySetData()
    {
        var tree = _setTree;
        foreach (var txn in _sets)
        {
            tree.Apply(txn);
        }

        return tree.LastZxid;
    }
}

/// <summary>
/// Snapshot work for a tree of 100k znodes of 100 bytes: capture the image on the apply thread,
/// serialise it (what the background snapshot writer does before compression and the store), and
/// load it back (the first half of recovery).
/// </summary>
[MemoryDiagnoser]
public class TreeSnapshotBenchmarks
{
    public const int Nodes = 100_000;

    private Tree _tree = null!;
    private byte[] _image = [];

    [GlobalSetup]
    public void Setup()
    {
        _tree = TreeTxns.Populate(Nodes, 100, out _);
        using var ms = new MemoryStream();
        _tree.CaptureImage().WriteTo(ms);
        _image = ms.ToArray();
    }

    [Benchmark(Description = "CaptureImage, 100k nodes")]
    public int CaptureImage() => _tree.CaptureImage().NodeCount;

    [Benchmark(Description = "CaptureImage + WriteTo(Stream.Null), 100k nodes")]
    public int CaptureAndWrite()
    {
        var image = _tree.CaptureImage();
        image.WriteTo(Stream.Null);
        return image.NodeCount;
    }

    [Benchmark(Description = "DataTree.Load from memory, 100k nodes")]
    public int Load()
    {
        using var ms = new MemoryStream(_image, writable: false);
        return Tree.Load(ms, "benchmark image").NodeCount;
    }
}
