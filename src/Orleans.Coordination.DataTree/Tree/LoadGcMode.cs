using System.Runtime;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// While a snapshot loads, every object it allocates survives: full collections then only copy what was just
/// built. Loads run in <see cref="GCLatencyMode.LowLatency"/>, which defers gen2 collections (the runtime still runs
/// them if memory runs low); the previous mode comes back when the last concurrent load ends.
/// </summary>
internal static class LoadGcMode
{
    private static readonly object Gate = new();
    private static int _active;
    private static GCLatencyMode _saved;

    public static Scope Enter()
    {
        lock (Gate)
        {
            if (_active++ == 0)
            {
                _saved = GCSettings.LatencyMode;
                if (!GCSettings.IsServerGC)
                {
                    GCSettings.LatencyMode = GCLatencyMode.LowLatency;
                }
            }
        }

        return default;
    }

    private static void Exit()
    {
        lock (Gate)
        {
            if (--_active == 0)
            {
                GCSettings.LatencyMode = _saved;
            }
        }
    }

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => Exit();
    }
}
