using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace ClientCertHttp.Trust;

/// <summary>
/// A server chain the platform could not build at all. On Linux, .NET throws a <see cref="CryptographicException"/>
/// out of <c>X509Chain.Build</c> when OpenSSL reports a verification error .NET does not map — observed: OpenSSL 3's
/// X509_V_ERR_UNSPECIFIED for a chain whose name constraints times the leaf's names exceed 2^20, "OpenSSL mapping
/// function MapOpenSsl30Code reported unhandled error code '1'". SslStream builds the chain before it calls the
/// validation callback, so the callback never runs: the handshake fails with that exception directly under the
/// request's <see cref="HttpRequestException"/> (<see cref="HttpRequestError.SecureConnectionError"/>), where any
/// TLS engine failure would be an <see cref="System.Security.Authentication.AuthenticationException"/> instead.
/// </summary>
internal static class ChainBuildFailure
{
    /// <summary>Returns the platform's exception when <paramref name="exception"/> has that shape, else <see langword="null"/>.</summary>
    public static CryptographicException? Find(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError, InnerException: CryptographicException cause })
            {
                return cause;
            }
        }

        return null;
    }

    /// <summary>Describes the failure for messages and classifications.</summary>
    public static string Describe(CryptographicException cause) =>
        $"the platform could not build the server's certificate chain: X509Chain.Build threw {cause.GetType().Name} ({cause.Message}), as OpenSSL-based .NET does for a chain it cannot evaluate (for example name constraints too many to check); such a chain is never trusted.";

    /// <summary>
    /// Turns the request's exception into one whose inner exception is a <see cref="ServerCertificateValidationException"/>
    /// (<see cref="ServerCertificateFailureReason.InvalidChain"/>), as for any other rejected chain, and logs the rejection.
    /// </summary>
    public static HttpRequestException Translate(HttpRequestException original, CryptographicException cause, string clientName, string targetHost, ILogger logger)
    {
        var detail = Describe(cause);
        Log.ServerCertificateRejected(logger, clientName, null, null, targetHost, ServerCertificateFailureReason.InvalidChain, detail);
        var rejection = new ServerCertificateValidationException(clientName, ServerCertificateFailureReason.InvalidChain, targetHost, null, null, detail, cause);
        return new HttpRequestException(HttpRequestError.SecureConnectionError, original.Message, rejection);
    }
}
