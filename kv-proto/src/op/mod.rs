//! Operations: one type per KV route, all implementing [`Operation`].

/// A KV operation: a request to build and a response to parse, with no I/O in between.
///
/// Build the operation from validated inputs (constructors reject bad input), then:
///
/// 1. `op.request(&endpoint)` gives an `http::Request<Vec<u8>>` to send any way you like;
/// 2. read at most `op.max_response_bytes()` of the response body (more is an error:
///    [`crate::Error::response_too_large`]);
/// 3. `op.parse(response)` turns status, headers and body into the typed output or a typed error.
pub trait Operation {
    /// What a successful response decodes to.
    type Output;

    /// The HTTP request for this operation. Infallible: inputs were validated on construction.
    fn request(&self, endpoint: &crate::Endpoint) -> http::Request<Vec<u8>>;

    /// The most response-body bytes a transport should buffer for this operation.
    fn max_response_bytes(&self) -> u64;

    /// Decodes a response (any status) into the output or an error.
    ///
    /// # Errors
    /// An error envelope, a non-envelope error body, or a success body of the wrong shape.
    fn parse(&self, response: http::Response<&[u8]>) -> Result<Self::Output, crate::Error>;
}
