using Orleans.Coordination.DataTree.Acls;
using Orleans.Coordination.DataTree.Paths;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Network;

namespace Orleans.Coordination.Server.Processing;

public sealed partial class SiloCore
{
    /// <summary>Executes a read against the applied tree, after the connection's earlier requests.</summary>
    private void AnswerRead(PendingRequest p, long lastZxid)
    {
        var conn = p.Connection;
        if (p.Type == OpCode.MultiRead)
        {
            conn.Reply(p.Xid, lastZxid, ErrorCode.Ok, MultiRead(conn, p.Request));
            return;
        }

        var err = ExecuteRead(conn, p.Type, p.Request, out var body);
        conn.Reply(p.Xid, lastZxid, err, body);
    }

    private IJuteRecord MultiRead(ClientConnection conn, IJuteRecord? request)
    {
        if (request is not MultiRequest multi)
        {
            return new MultiResponse([MultiResult.Error(ErrorCode.MarshallingError)]);
        }

        var results = new List<MultiResult>(multi.Ops.Count);
        foreach (var op in multi.Ops)
        {
            if (op.Type is not (OpCode.GetData or OpCode.GetChildren))
            {
                results.Add(MultiResult.Error(ErrorCode.MarshallingError));
                continue;
            }

            var err = ExecuteRead(conn, op.Type, op.Request, out var body);
            results.Add(err == ErrorCode.Ok ? new MultiResult(op.Type, ErrorCode.Ok, body) : MultiResult.Error(err));
        }

        return new MultiResponse(results);
    }

    private ErrorCode ExecuteRead(ClientConnection conn, OpCode type, IJuteRecord? request, out IJuteRecord? body)
    {
        body = null;
        switch (type)
        {
            case OpCode.WhoAmI:
                body = new WhoAmIResponse(conn.AuthIds.Select(ToClientInfo).ToList());
                return ErrorCode.Ok;
            case OpCode.AddWatch:
                body = new ErrorResponse(ErrorCode.Ok);
                return ErrorCode.Ok;
            case OpCode.GetEphemerals:
                var prefix = ((PathRecord)request!).Path;
                var all = Tree.EphemeralsOf(conn.SessionId);
                var matched = string.IsNullOrEmpty(prefix) || prefix == "/"
                    ? all.ToList()
                    : all.Where(e => e.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                matched.Sort(StringComparer.Ordinal);
                body = new StringListResponse(matched);
                return ErrorCode.Ok;
        }

        var path = request switch
        {
            PathWatchRequest pw => pw.Path,
            PathRecord pr => pr.Path,
            _ => "",
        };
        if (!PathUtils.IsValid(path))
        {
            return ErrorCode.BadArguments;
        }

        var watch = request is PathWatchRequest { Watch: true };
        var node = Tree.Get(path);
        if (node is null)
        {
            if (type == OpCode.Exists && watch)
            {
                Tree.Watches.AddDataWatch(path, conn);
            }

            return ErrorCode.NoNode;
        }

        if (type == OpCode.GetAcl)
        {
            if (!AclEvaluator.Allows(node.Acl, Perms.Read | Perms.Admin, conn.AuthIds))
            {
                return ErrorCode.NoAuth;
            }

            var acl = AclEvaluator.Allows(node.Acl, Perms.Admin, conn.AuthIds) ? node.Acl : AclEvaluator.Mask(node.Acl);
            body = new GetAclResponse(acl, node.ToStat());
            return ErrorCode.Ok;
        }

        if (!AclEvaluator.Allows(node.Acl, Perms.Read, conn.AuthIds))
        {
            return ErrorCode.NoAuth;
        }

        switch (type)
        {
            case OpCode.Exists:
                if (watch)
                {
                    Tree.Watches.AddDataWatch(path, conn);
                }

                body = new StatResponse(node.ToStat());
                return ErrorCode.Ok;
            case OpCode.GetData:
                if (watch)
                {
                    Tree.Watches.AddDataWatch(path, conn);
                }

                body = new GetDataReply(node.DataMemory, node.DataIsNull, node.ToStat());
                return ErrorCode.Ok;
            case OpCode.GetChildren:
                if (watch)
                {
                    Tree.Watches.AddChildWatch(path, conn);
                }

                body = new StringListResponse(node.Children.ToList());
                return ErrorCode.Ok;
            case OpCode.GetChildren2:
                if (watch)
                {
                    Tree.Watches.AddChildWatch(path, conn);
                }

                body = new GetChildren2Response(node.Children.ToList(), node.ToStat());
                return ErrorCode.Ok;
            case OpCode.GetAllChildrenNumber:
                body = new CountResponse(Tree.CountDescendants(path));
                return ErrorCode.Ok;
            default:
                return ErrorCode.Unimplemented;
        }
    }

    private static ClientInfo ToClientInfo(Id id) => id.Scheme switch
    {
        "digest" => new ClientInfo("digest", id.Ident.Split(':')[0]),
        "super" => new ClientInfo("super", "super"),
        _ => new ClientInfo(id.Scheme, id.Ident),
    };
}
