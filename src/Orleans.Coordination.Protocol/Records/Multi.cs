using Orleans.Coordination.Protocol.Jute;

namespace Orleans.Coordination.Protocol.Records;

/// <summary>One operation inside multi (14) or multiRead (22): its opcode and its request record.</summary>
public sealed record MultiOp(OpCode Type, IJuteRecord Request);

/// <summary>
/// multi (14) and multiRead (22) request body: ops each preceded by a MultiHeader, ended by (-1, true, -1).
/// </summary>
public sealed record MultiRequest(IReadOnlyList<MultiOp> Ops) : IJuteRecord<MultiRequest>
{
    public static MultiRequest Read(ref JuteReader reader)
    {
        var ops = new List<MultiOp>();
        while (true)
        {
            var h = MultiHeader.Read(ref reader);
            if (h.Done)
            {
                return new(ops);
            }

            var type = (OpCode)h.Type;
            IJuteRecord record = type switch
            {
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Read(ref reader),
                OpCode.CreateTtl => CreateTtlRequest.Read(ref reader),
                OpCode.Delete => DeleteRequest.Read(ref reader),
                OpCode.SetData => SetDataRequest.Read(ref reader),
                OpCode.Check => CheckVersionRequest.Read(ref reader),
                OpCode.GetChildren or OpCode.GetData => PathWatchRequest.Read(ref reader),
                _ => throw new JuteException($"op type {h.Type} is not allowed in multi"),
            };
            ops.Add(new(type, record));
        }
    }

    public void Write(JuteWriter writer)
    {
        foreach (var op in Ops)
        {
            new MultiHeader((int)op.Type, false, -1).Write(writer);
            op.Request.Write(writer);
        }

        MultiHeader.End.Write(writer);
    }
}

/// <summary>One result of a multi: the result type, its error code and its record (null for delete/check).</summary>
public sealed record MultiResult(OpCode Type, ErrorCode Err, IJuteRecord? Body)
{
    public static MultiResult Error(ErrorCode err) => new(OpCode.Error, err, new ErrorResponse(err));
}

/// <summary>multi and multiRead response body.</summary>
public sealed record MultiResponse(IReadOnlyList<MultiResult> Results) : IJuteRecord<MultiResponse>
{
    public static MultiResponse Read(ref JuteReader reader)
    {
        var results = new List<MultiResult>();
        while (true)
        {
            var h = MultiHeader.Read(ref reader);
            if (h.Done)
            {
                return new(results);
            }

            var type = (OpCode)h.Type;
            IJuteRecord? body = type switch
            {
                OpCode.Create => PathRecord.Read(ref reader),
                OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => Create2Response.Read(ref reader),
                OpCode.Delete or OpCode.Check => null,
                OpCode.SetData => StatResponse.Read(ref reader),
                OpCode.GetChildren => StringListResponse.Read(ref reader),
                OpCode.GetData => GetDataResponse.Read(ref reader),
                OpCode.Error => ErrorResponse.Read(ref reader),
                _ => throw new JuteException($"result type {h.Type} is not valid in a multi response"),
            };
            results.Add(new(type, type == OpCode.Error ? ((ErrorResponse)body!).Err : ErrorCode.Ok, body));
        }
    }

    public void Write(JuteWriter writer)
    {
        foreach (var r in Results)
        {
            new MultiHeader((int)r.Type, false, (int)r.Err).Write(writer);
            r.Body?.Write(writer);
        }

        MultiHeader.End.Write(writer);
    }
}
