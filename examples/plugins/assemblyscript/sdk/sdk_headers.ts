// Example plugin written against a public proxy-wasm SDK for AssemblyScript,
// @solo-io/proxy-runtime 0.1.8 from the npm registry, used unchanged (it needs the
// AssemblyScript 0.14 compiler it was written for). It copies the request's path into a
// request header `x-sdk-path` and adds `x-river-sdk: <configuration>` to every response.
export * from "@solo-io/proxy-runtime/proxy";
import {
  Context,
  FilterHeadersStatusValues,
  registerRootContext,
  RootContext,
  stream_context,
} from "@solo-io/proxy-runtime";

class HeadersRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new HeadersStream(context_id, this);
  }
}

class HeadersStream extends Context {
  private settings: HeadersRoot;

  constructor(context_id: u32, root: HeadersRoot) {
    super(context_id, root);
    this.settings = root;
  }

  onRequestHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const path = stream_context.headers.request.get(":path");
    stream_context.headers.request.add("x-sdk-path", path);
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-river-sdk", this.settings.getConfiguration());
    return FilterHeadersStatusValues.Continue;
  }
}

// The root id River passes as the `plugin_root_id` property ([[plugin]] root_id).
registerRootContext((context_id: u32): RootContext => new HeadersRoot(context_id), "sdk_headers");
