using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client;

/// <summary>
/// An operation failed with a ZooKeeper error code. Every code has its own subclass (for example
/// <see cref="NoNodeException"/>), so callers catch what they can handle; <see cref="Create"/> maps a code to it.
/// </summary>
public class KeeperException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/> on <paramref name="path"/>.</summary>
    public KeeperException(ErrorCode code, string? path = null, string? message = null, Exception? innerException = null)
        : base(message ?? DefaultMessage(code, path), innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The error code, as the server sent it (or as the client decided, for connection and session errors).</summary>
    public ErrorCode Code { get; }

    /// <summary>The client path of the operation that failed, when there is one.</summary>
    public string? Path { get; }

    /// <summary>For a failed multi: the index of the operation that failed; null otherwise.</summary>
    public int? FailedOperationIndex { get; internal set; }

    /// <summary>For a failed multi: every operation's result (the failing one and those after it are errors); null otherwise.</summary>
    public IReadOnlyList<OpResult>? OperationResults { get; internal set; }

    /// <summary>The exception type that stands for <paramref name="code"/>.</summary>
    public static KeeperException Create(ErrorCode code, string? path = null) => code switch
    {
        ErrorCode.SystemError => new SystemErrorException(path),
        ErrorCode.RuntimeInconsistency => new RuntimeInconsistencyException(path),
        ErrorCode.DataInconsistency => new DataInconsistencyException(path),
        ErrorCode.ConnectionLoss => new ConnectionLossException(path),
        ErrorCode.MarshallingError => new MarshallingErrorException(path),
        ErrorCode.Unimplemented => new UnimplementedException(path),
        ErrorCode.OperationTimeout => new OperationTimeoutException(path),
        ErrorCode.BadArguments => new BadArgumentsException(path),
        ErrorCode.UnknownSession => new UnknownSessionException(path),
        ErrorCode.NewConfigNoQuorum => new NewConfigNoQuorumException(path),
        ErrorCode.ReconfigInProgress => new ReconfigInProgressException(path),
        ErrorCode.NoNode => new NoNodeException(path),
        ErrorCode.NoAuth => new NoAuthException(path),
        ErrorCode.BadVersion => new BadVersionException(path),
        ErrorCode.NoChildrenForEphemerals => new NoChildrenForEphemeralsException(path),
        ErrorCode.NodeExists => new NodeExistsException(path),
        ErrorCode.NotEmpty => new NotEmptyException(path),
        ErrorCode.SessionExpired => new SessionExpiredException(path),
        ErrorCode.InvalidCallback => new InvalidCallbackException(path),
        ErrorCode.InvalidAcl => new InvalidAclException(path),
        ErrorCode.AuthFailed => new AuthFailedException(path),
        ErrorCode.SessionMoved => new SessionMovedException(path),
        ErrorCode.NotReadOnly => new NotReadOnlyException(path),
        ErrorCode.EphemeralOnLocalSession => new EphemeralOnLocalSessionException(path),
        ErrorCode.NoWatcher => new NoWatcherException(path),
        ErrorCode.RequestTimeout => new RequestTimeoutException(path),
        ErrorCode.ReconfigDisabled => new ReconfigDisabledException(path),
        ErrorCode.SessionClosedRequireSaslAuth => new SessionClosedRequireSaslAuthException(path),
        ErrorCode.QuotaExceeded => new QuotaExceededException(path),
        ErrorCode.ThrottledOp => new ThrottledOpException(path),
        _ => new KeeperException(code, path),
    };

    private static string DefaultMessage(ErrorCode code, string? path) =>
        path is null ? $"KeeperErrorCode = {code} ({(int)code})" : $"KeeperErrorCode = {code} ({(int)code}) for {path}";
}

/// <summary>-1: a server-side system error.</summary>
public sealed class SystemErrorException(string? path = null) : KeeperException(ErrorCode.SystemError, path);

/// <summary>-2: an operation in a multi was not attempted because an earlier one failed.</summary>
public sealed class RuntimeInconsistencyException(string? path = null) : KeeperException(ErrorCode.RuntimeInconsistency, path);

/// <summary>-3: the server found inconsistent data.</summary>
public sealed class DataInconsistencyException(string? path = null) : KeeperException(ErrorCode.DataInconsistency, path);

/// <summary>
/// -4: the connection was lost (or never made) while the operation was outstanding. The operation may or may
/// not have been applied; the session is usually still alive and the client reconnects by itself.
/// </summary>
public sealed class ConnectionLossException(string? path = null, string? message = null, Exception? innerException = null)
    : KeeperException(ErrorCode.ConnectionLoss, path, message, innerException);

/// <summary>-5: the server could not decode the request.</summary>
public sealed class MarshallingErrorException(string? path = null) : KeeperException(ErrorCode.MarshallingError, path);

/// <summary>-6: the server does not implement the operation (or has it disabled).</summary>
public sealed class UnimplementedException(string? path = null) : KeeperException(ErrorCode.Unimplemented, path);

/// <summary>-7: the operation timed out.</summary>
public sealed class OperationTimeoutException(string? path = null) : KeeperException(ErrorCode.OperationTimeout, path);

/// <summary>-8: invalid arguments, such as a bad path, a bad create mode or a TTL out of range.</summary>
public sealed class BadArgumentsException(string? path = null) : KeeperException(ErrorCode.BadArguments, path);

/// <summary>-12: the session is unknown to the server.</summary>
public sealed class UnknownSessionException(string? path = null) : KeeperException(ErrorCode.UnknownSession, path);

/// <summary>-13: a reconfiguration has no quorum.</summary>
public sealed class NewConfigNoQuorumException(string? path = null) : KeeperException(ErrorCode.NewConfigNoQuorum, path);

/// <summary>-14: another reconfiguration is in progress.</summary>
public sealed class ReconfigInProgressException(string? path = null) : KeeperException(ErrorCode.ReconfigInProgress, path);

/// <summary>-101: the node (or the parent of a node being created) does not exist.</summary>
public sealed class NoNodeException(string? path = null) : KeeperException(ErrorCode.NoNode, path);

/// <summary>-102: the session's identities lack the permission the operation needs.</summary>
public sealed class NoAuthException(string? path = null) : KeeperException(ErrorCode.NoAuth, path);

/// <summary>-103: the expected version did not match.</summary>
public sealed class BadVersionException(string? path = null) : KeeperException(ErrorCode.BadVersion, path);

/// <summary>-108: ephemeral nodes cannot have children.</summary>
public sealed class NoChildrenForEphemeralsException(string? path = null) : KeeperException(ErrorCode.NoChildrenForEphemerals, path);

/// <summary>-110: the node already exists.</summary>
public sealed class NodeExistsException(string? path = null) : KeeperException(ErrorCode.NodeExists, path);

/// <summary>-111: the node has children.</summary>
public sealed class NotEmptyException(string? path = null) : KeeperException(ErrorCode.NotEmpty, path);

/// <summary>
/// -112: the session has expired (the server said so on reconnect, it was closed from another handle, or the
/// client was cut off longer than the session could live). Its ephemeral nodes and watches are gone.
/// </summary>
public sealed class SessionExpiredException(string? path = null, string? message = null) : KeeperException(ErrorCode.SessionExpired, path, message);

/// <summary>-113: invalid callback.</summary>
public sealed class InvalidCallbackException(string? path = null) : KeeperException(ErrorCode.InvalidCallback, path);

/// <summary>-114: the ACL is empty or invalid, or uses the auth scheme without any authenticated identity.</summary>
public sealed class InvalidAclException(string? path = null) : KeeperException(ErrorCode.InvalidAcl, path);

/// <summary>-115: authentication failed.</summary>
public sealed class AuthFailedException(string? path = null) : KeeperException(ErrorCode.AuthFailed, path);

/// <summary>-118: the session moved to another server.</summary>
public sealed class SessionMovedException(string? path = null) : KeeperException(ErrorCode.SessionMoved, path);

/// <summary>-119: the server is read-only and the operation writes.</summary>
public sealed class NotReadOnlyException(string? path = null) : KeeperException(ErrorCode.NotReadOnly, path);

/// <summary>-120: ephemeral nodes cannot be created by a local session.</summary>
public sealed class EphemeralOnLocalSessionException(string? path = null) : KeeperException(ErrorCode.EphemeralOnLocalSession, path);

/// <summary>-121: there is no such watch to check or remove.</summary>
public sealed class NoWatcherException(string? path = null) : KeeperException(ErrorCode.NoWatcher, path);

/// <summary>-122: the request timed out.</summary>
public sealed class RequestTimeoutException(string? path = null) : KeeperException(ErrorCode.RequestTimeout, path);

/// <summary>-123: reconfiguration is disabled.</summary>
public sealed class ReconfigDisabledException(string? path = null) : KeeperException(ErrorCode.ReconfigDisabled, path);

/// <summary>-124: the session was closed because SASL authentication is required.</summary>
public sealed class SessionClosedRequireSaslAuthException(string? path = null) : KeeperException(ErrorCode.SessionClosedRequireSaslAuth, path);

/// <summary>-125: a quota was exceeded.</summary>
public sealed class QuotaExceededException(string? path = null) : KeeperException(ErrorCode.QuotaExceeded, path);

/// <summary>-127: the server throttled the operation; retry later.</summary>
public sealed class ThrottledOpException(string? path = null) : KeeperException(ErrorCode.ThrottledOp, path);
