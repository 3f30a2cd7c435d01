namespace Orleans.Coordination.Protocol;
