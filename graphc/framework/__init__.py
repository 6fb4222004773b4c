"""TensorFlow's graph file formats: GraphDef export and import, its op table, graph_util."""
