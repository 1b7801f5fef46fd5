using System.Net;
using System.Net.Sockets;
using ClientCertHttp.Resilience;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ClientCertHttp.Tests.Resilience;

/// <summary>
/// The classifier's response rules and the exception shapes that cannot be produced on the loopback. The shapes of real
/// TLS and connection failures are tested against real servers in the functional tests.
/// </summary>
public sealed class HttpFailureClassifierTests
{
    [Theory]
    [InlineData(200, HttpFailureCategory.None)]
    [InlineData(204, HttpFailureCategory.None)]
    [InlineData(304, HttpFailureCategory.None)]
    [InlineData(408, HttpFailureCategory.Transient)]
    [InlineData(429, HttpFailureCategory.Transient)]
    [InlineData(500, HttpFailureCategory.Transient)]
    [InlineData(502, HttpFailureCategory.Transient)]
    [InlineData(503, HttpFailureCategory.Transient)]
    [InlineData(504, HttpFailureCategory.Transient)]
    [InlineData(400, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(401, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(403, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(404, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(409, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(422, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(501, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(505, HttpFailureCategory.NonTransientStatusCode)]
    [InlineData(495, HttpFailureCategory.ClientCertificateRejected)]
    [InlineData(496, HttpFailureCategory.ClientCertificateRejected)]
    public async Task ClassifyAsync_StatusCode_HasTheDocumentedCategory(int status, HttpFailureCategory expected)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);

        var classification = await HttpFailureClassifier.ClassifyAsync(response, treatForbiddenAsCertificateRejection: false, CancellationToken.None);

        classification.Category.Should().Be(expected);
    }

    [Theory]
    [InlineData("No required SSL certificate was sent")]
    [InlineData("The SSL certificate error")]
    public async Task ClassifyAsync_NginxCertificateError400_IsClientCertificateRejectedAndTheBodyStaysReadable(string text)
    {
        var body = $"<html>\r\n<head><title>400 {text}</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>{text}</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        using var response = new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent(body) };

        var classification = await HttpFailureClassifier.ClassifyAsync(response, treatForbiddenAsCertificateRejection: false, CancellationToken.None);

        classification.Category.Should().Be(HttpFailureCategory.ClientCertificateRejected);
        classification.Description.Should().Contain(text);
        (await response.Content.ReadAsStringAsync()).Should().Be(body);
    }

    [Fact]
    public async Task ClassifyAsync_Other400_IsNonTransient()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = new StringContent("{\"error\":\"amount is required\"}") };

        var classification = await HttpFailureClassifier.ClassifyAsync(response, treatForbiddenAsCertificateRejection: false, CancellationToken.None);

        classification.Category.Should().Be(HttpFailureCategory.NonTransientStatusCode);
    }

    [Fact]
    public async Task ClassifyAsync_ForbiddenWhenOptedIn_IsClientCertificateRejected()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Forbidden);

        var classification = await HttpFailureClassifier.ClassifyAsync(response, treatForbiddenAsCertificateRejection: true, CancellationToken.None);

        classification.Category.Should().Be(HttpFailureCategory.ClientCertificateRejected);
    }

    [Fact]
    public void Classify_NameResolutionFailure_IsTransient()
    {
        // The shape SocketsHttpHandler gives a failed DNS lookup. Built by hand: a real lookup of an unknown name would
        // query a DNS server off this machine.
        var exception = new HttpRequestException(
            HttpRequestError.NameResolutionError,
            "Name or service not known (api.example.test:443)",
            new SocketException((int)SocketError.HostNotFound));

        HttpFailureClassifier.Classify(exception).Category.Should().Be(HttpFailureCategory.Transient);
    }

    [Fact]
    public void Classify_OurTrustRejectionQuotingAnAlertLikeSubject_IsAServerCertificateRejection()
    {
        // Issue 14, item 10: the server's subject is server-controlled and quoted in our own rejection; a regex over
        // every message read it as "the server rejected our certificate" and triggered a reload.
        var rejection = new ClientCertHttp.Trust.ServerCertificateValidationException(
            "payments",
            ClientCertHttp.Trust.ServerCertificateFailureReason.UntrustedRoot,
            "api.example.test",
            "CN=sslv3 alert bad certificate",
            "00",
            "its chain ends at an untrusted root.");
        var exception = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.", rejection);

        HttpFailureClassifier.Classify(exception).Category.Should().Be(HttpFailureCategory.ServerCertificateRejected);
    }

    [Fact]
    public void Classify_AlertWordingInAnOuterMessage_IsNotReadAsAnAlert()
    {
        // Only OpenSSL's own error, innermost, speaks for the peer; an outer message may quote a status line or a name.
        var exception = new HttpRequestException(
            HttpRequestError.Unknown,
            "Unexpected answer 'tlsv1 alert unknown ca' from the server.",
            new IOException("The response ended prematurely."));

        HttpFailureClassifier.Classify(exception).Category.Should().NotBe(HttpFailureCategory.ClientCertificateRejected);
    }

    [Theory]
    [InlineData("error:0A000412:SSL routines::sslv3 alert bad certificate (SSL alert number 42)", HttpFailureCategory.ClientCertificateRejected, "bad certificate")]
    [InlineData("error:0A000415:SSL routines::sslv3 alert certificate expired", HttpFailureCategory.ClientCertificateRejected, "certificate expired")]
    [InlineData("error:0A00042E:SSL routines::tlsv1 alert protocol version", HttpFailureCategory.TlsHandshakeFailed, "protocol version")]
    public void Classify_OpenSslAlertWordings_AreReadFromTheMessage(string message, HttpFailureCategory expected, string alert)
    {
        // The wordings of alerts the functional tests cannot provoke from a server (they produce 'unknown ca',
        // 'certificate required' and 'handshake failure' for real), in the exception chain those produce: OpenSSL's
        // error (an OpenSslCryptographicException, a CryptographicException) innermost.
        var exception = new HttpRequestException(
            HttpRequestError.SecureConnectionError,
            "The SSL connection could not be established, see inner exception.",
            new System.Security.Authentication.AuthenticationException(
                "Authentication failed, see inner exception.",
                new IOException("SSL Handshake failed with OpenSSL error - SSL_ERROR_SSL.", new System.Security.Cryptography.CryptographicException(message))));

        var classification = HttpFailureClassifier.Classify(exception);

        classification.Category.Should().Be(expected);
        classification.Description.Should().Be($"the server sent the TLS alert '{alert}'");
    }

    [Fact]
    public void Classify_PollyAttemptTimeout_IsTransient()
    {
        HttpFailureClassifier.Classify(new TimeoutRejectedException("The operation didn't complete within the allowed timeout of '00:00:10'.", TimeSpan.FromSeconds(10)))
            .Category.Should().Be(HttpFailureCategory.Transient);
    }

    [Fact]
    public void Classify_UnknownException_IsUnclassifiedSoNotRetried()
    {
        var classification = HttpFailureClassifier.Classify(new InvalidOperationException("The request message was already sent."));

        classification.Category.Should().Be(HttpFailureCategory.Unclassified);
        classification.IsTransient.Should().BeFalse();
    }

    [Theory]
    [InlineData("GET", 503, true)]
    [InlineData("HEAD", 502, true)]
    [InlineData("OPTIONS", 504, true)]
    [InlineData("PUT", 500, true)]
    [InlineData("DELETE", 429, true)]
    [InlineData("POST", 503, false)]
    [InlineData("PATCH", 503, false)]
    [InlineData("GET", 404, false)]
    [InlineData("GET", 200, false)]
    public async Task ShouldRetry_MethodAndStatus_RetriesOnlyTransientFailuresOfIdempotentRequests(string method, int status, bool expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "https://api.example.test/");
        using var response = new HttpResponseMessage((HttpStatusCode)status) { RequestMessage = request };

        (await ShouldRetryAsync(request, Outcome.FromResult(response))).Should().Be(expected);
    }

    [Fact]
    public async Task ShouldRetry_StreamContent_IsNotRetried()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "https://api.example.test/") { Content = new StreamContent(new MemoryStream([1, 2, 3])) };
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request };

        (await ShouldRetryAsync(request, Outcome.FromResult(response))).Should().BeFalse();
    }

    [Fact]
    public async Task ShouldRetry_ConnectionRefused_IsRetriedForGet()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://api.example.test/");
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:1)", new SocketException((int)SocketError.ConnectionRefused));

        (await ShouldRetryAsync(request, Outcome.FromException<HttpResponseMessage>(refused))).Should().BeTrue();
    }

    [Fact]
    public async Task ShouldRetry_TransientFailureWithoutAnyRequest_IsNotRetried()
    {
        // Issue 14, item 11: neither the context nor the response names the request, so nothing shows that it is
        // idempotent and replayable; the previous classifier retried it (a POST included).
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:1)", new SocketException((int)SocketError.ConnectionRefused));
        using var unavailable = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            (await HttpFailureClassifier.ShouldRetry(new RetryPredicateArguments<HttpResponseMessage>(context, Outcome.FromException<HttpResponseMessage>(refused), attemptNumber: 0)))
                .Should().BeFalse("a failure whose request is unknown fails closed");
            (await HttpFailureClassifier.ShouldRetry(new RetryPredicateArguments<HttpResponseMessage>(context, Outcome.FromResult(unavailable), attemptNumber: 0)))
                .Should().BeFalse("a response without its request message fails closed");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static async Task<bool> ShouldRetryAsync(HttpRequestMessage request, Outcome<HttpResponseMessage> outcome)
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            context.SetRequestMessage(request);
            return await HttpFailureClassifier.ShouldRetry(new RetryPredicateArguments<HttpResponseMessage>(context, outcome, attemptNumber: 0));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [Fact]
    public void Classify_Http2HandshakeNotCompletedOnAnInjectedConnection_IsClientCertificateRejected()
    {
        // The shape captured in CI when the pool opened the connection for another waiting request: the message sits
        // on the HttpRequestException itself, with no IOException under it.
        var ex = new HttpRequestException("An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.");

        HttpFailureClassifier.Classify(ex).Category.Should().Be(HttpFailureCategory.ClientCertificateRejected);
    }

    [Fact]
    public void Classify_WrapperOfAClientCertHttpRequestException_IsThatExceptionsClassification()
    {
        // The shape a gRPC caller sees: RpcException (here any wrapper) with the library's exception inside.
        var classification = new HttpFailureClassification(HttpFailureCategory.ClientCertificateRejected, "the server closed the connection");
        var diagnosed = new ClientCertHttpRequestException("grpc", ClientCertificateFailureReason.ClientCertificateRejectedByServer, classification, 1, "rejected", HttpRequestError.SecureConnectionError, null);
        var wrapper = new InvalidOperationException("Status(StatusCode=\"Unavailable\")", diagnosed);

        HttpFailureClassifier.Classify(wrapper).Should().BeSameAs(classification);
    }
}
