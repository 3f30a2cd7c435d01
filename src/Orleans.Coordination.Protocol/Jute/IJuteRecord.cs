namespace Orleans.Coordination.Protocol.Jute;

/// <summary>A record with a jute binary encoding.</summary>
public interface IJuteRecord
{
    void Write(JuteWriter writer);
}

/// <summary>A record that can be decoded from jute binary encoding.</summary>
public interface IJuteRecord<TSelf> : IJuteRecord
    where TSelf : IJuteRecord<TSelf>
{
    static abstract TSelf Read(ref JuteReader reader);
}
