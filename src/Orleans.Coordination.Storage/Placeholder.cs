namespace Orleans.Coordination.Storage;
