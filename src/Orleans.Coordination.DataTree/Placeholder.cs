namespace Orleans.Coordination.DataTree;
