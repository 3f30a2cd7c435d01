using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client.Internal;

/// <summary>Decodes a successful reply body.</summary>
internal delegate T ReplyParser<T>(ref JuteReader reader);

/// <summary>Turns an error code into a result instead of an exception (exists: NoNode is a null Stat).</summary>
internal delegate bool ErrorHandler<T>(ErrorCode code, out T value);

/// <summary>How a packet's reply is matched.</summary>
internal enum PacketKind
{
    /// <summary>A normal request: gets a fresh xid and its reply is matched against the head of the pending queue.</summary>
    Request,

    /// <summary>An auth packet: xid -4; replies are matched in order against the auth queue.</summary>
    Auth,

    /// <summary>A ping: xid -2; the reply only proves the server is alive.</summary>
    Ping,
}

/// <summary>One request on its way to the server and the means to complete it.</summary>
internal abstract class Packet(OpCode op, IJuteRecord? request, string? path, PacketKind kind)
{
    public OpCode Op { get; } = op;

    public IJuteRecord? Request { get; } = request;

    /// <summary>The client path, for exceptions.</summary>
    public string? Path { get; } = path;

    public PacketKind Kind { get; } = kind;

    /// <summary>Assigned by the writer just before the packet goes out.</summary>
    public int Xid { get; set; }

    /// <summary>The watch to register when the reply arrives (before the caller sees the reply).</summary>
    public WatchRegistration? Watch { get; init; }

    /// <summary>Completed already (typically cancelled by the caller): skip sending, ignore the reply.</summary>
    public abstract bool IsCompleted { get; }

    /// <summary>Called on the reader with the reply; throws <see cref="JuteException"/> on a malformed body.</summary>
    public abstract void Complete(ReplyHeader header, ref JuteReader body);

    public abstract void Fail(Exception exception);
}

internal sealed class Packet<T>(OpCode op, IJuteRecord? request, string? path, PacketKind kind, ReplyParser<T> parser, ErrorHandler<T>? onError = null)
    : Packet(op, request, path, kind)
{
    private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _tcs.Task;

    public override bool IsCompleted => _tcs.Task.IsCompleted;

    public override void Complete(ReplyHeader header, ref JuteReader body)
    {
        if (_tcs.Task.IsCompleted)
        {
            return;
        }

        T value;
        if (header.Err != ErrorCode.Ok)
        {
            if (onError is null || !onError(header.Err, out value))
            {
                _tcs.TrySetException(KeeperException.Create(header.Err, Path));
                return;
            }
        }
        else
        {
            value = parser(ref body);
        }

        Watch?.Register(header.Err);
        _tcs.TrySetResult(value);
    }

    public override void Fail(Exception exception) => _tcs.TrySetException(exception);

    public void Cancel(CancellationToken token) => _tcs.TrySetCanceled(token);
}
