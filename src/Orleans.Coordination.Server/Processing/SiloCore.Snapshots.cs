using Microsoft.Extensions.Logging;
using Orleans.Coordination.Storage;
using Orleans.Coordination.Storage.Snapshots;

namespace Orleans.Coordination.Server.Processing;

public sealed partial class SiloCore
{
    /// <summary>The storage failure that stopped this silo, if any.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>
    /// Takes a snapshot now (apply thread captures a consistent image; the store is written in the
    /// background). Completes with the stored snapshot's metadata.
    /// </summary>
    public async Task<SnapshotMetadata> TakeSnapshotAsync()
    {
        if (_storage is null)
        {
            throw new InvalidOperationException("this silo has no storage");
        }

        var task = await InvokeAsync(StartSnapshot);
        return await task;
    }

    /// <summary>Apply thread: captures an image and starts writing it, unless a snapshot is already being written.</summary>
    private Task<SnapshotMetadata> StartSnapshot()
    {
        _txnsSinceSnapshot = 0;
        _snapshotThreshold = NextSnapshotThreshold();
        if (_storage is null)
        {
            return Task.FromException<SnapshotMetadata>(new InvalidOperationException("this silo has no storage"));
        }

        if (_snapshotTask is { IsCompleted: false } running)
        {
            return running.ContinueWith(_ => StartSnapshotAgain(), TaskScheduler.Default).Unwrap();
        }

        var image = Tree.CaptureImage();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var task = Task.Run(() => _storage.SaveSnapshotAsync(image));
        _snapshotTask = task.ContinueWith(
            t =>
            {
                if (t.IsFaulted)
                {
                    _logger.LogError(t.Exception!.GetBaseException(), "Snapshot at zxid 0x{Zxid:x} failed", image.LastZxid);
                }
                else
                {
                    Metrics.CountSnapshot(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, t.Result.CompressedSize);
                    Post(new ActionWork(() => SnapshotSaved(image.LastZxid)));
                }
            },
            TaskScheduler.Default);
        return task;
    }

    private Task<SnapshotMetadata> StartSnapshotAgain() => InvokeAsync(StartSnapshot).Unwrap();

    private long NextSnapshotThreshold()
    {
        var half = Math.Max(1, Options.SnapCount / 2);
        return half + Random.Shared.NextInt64(half + 1);
    }

    /// <summary>Apply thread: the log can no longer make writes durable. Stop acknowledging and say why.</summary>
    private void FailStorage(StorageFailedException e)
    {
        if (FailureReason is not null)
        {
            return;
        }

        FailureReason = e.Message;
        IsServing = false;
        if (_replica is not null)
        {
            // A member that cannot make anything durable must not lead or vote: it leaves the ensemble (the others
            // elect a leader without it) until an operator restarts it.
            Links.Block([.. Options.Ensemble.Members.Select(m => m.Id).Where(id => id != Options.ServerId)]);
        }

        _logger.LogCritical("Transaction log failed, this silo stops serving: {Reason}", e.Message);
        foreach (var c in _connections.ToList())
        {
            c.Abort();
        }
    }
}
