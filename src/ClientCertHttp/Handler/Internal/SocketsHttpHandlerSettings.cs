using System.Net.Security;

namespace ClientCertHttp.Handler;

/// <summary>
/// Copies every public setting of a <see cref="SocketsHttpHandler"/>, so that a handler for a rotated certificate is
/// configured exactly as the user configured the first one. The lists are explicit (no reflection: the library is
/// trimmed and compiled ahead of time); a unit test reflects over both types so that a setting added by a future
/// runtime fails the build's tests instead of being dropped silently.
/// </summary>
internal static class SocketsHttpHandlerSettings
{
    /// <summary>Creates a new, unused handler with the settings of <paramref name="source"/> and the given TLS options.</summary>
    public static SocketsHttpHandler Copy(SocketsHttpHandler source, SslClientAuthenticationOptions sslOptions)
    {
        var copy = new SocketsHttpHandler();
        try
        {
            copy.UseCookies = source.UseCookies;
            copy.CookieContainer = source.CookieContainer;
            copy.AutomaticDecompression = source.AutomaticDecompression;
            copy.UseProxy = source.UseProxy;
            copy.Proxy = source.Proxy;
            copy.DefaultProxyCredentials = source.DefaultProxyCredentials;
            copy.PreAuthenticate = source.PreAuthenticate;
            copy.Credentials = source.Credentials;
            copy.AllowAutoRedirect = source.AllowAutoRedirect;
            copy.MaxAutomaticRedirections = source.MaxAutomaticRedirections;
            copy.MaxConnectionsPerServer = source.MaxConnectionsPerServer;
            copy.MaxResponseDrainSize = source.MaxResponseDrainSize;
            copy.ResponseDrainTimeout = source.ResponseDrainTimeout;
            copy.MaxResponseHeadersLength = source.MaxResponseHeadersLength;
            copy.PooledConnectionLifetime = source.PooledConnectionLifetime;
            copy.PooledConnectionIdleTimeout = source.PooledConnectionIdleTimeout;
            copy.ConnectTimeout = source.ConnectTimeout;
            copy.Expect100ContinueTimeout = source.Expect100ContinueTimeout;
            copy.InitialHttp2StreamWindowSize = source.InitialHttp2StreamWindowSize;
            copy.KeepAlivePingDelay = source.KeepAlivePingDelay;
            copy.KeepAlivePingTimeout = source.KeepAlivePingTimeout;
            copy.KeepAlivePingPolicy = source.KeepAlivePingPolicy;
            copy.EnableMultipleHttp2Connections = source.EnableMultipleHttp2Connections;
            copy.EnableMultipleHttp3Connections = source.EnableMultipleHttp3Connections;
            copy.ConnectCallback = source.ConnectCallback;
            copy.PlaintextStreamFilter = source.PlaintextStreamFilter;
            copy.RequestHeaderEncodingSelector = source.RequestHeaderEncodingSelector;
            copy.ResponseHeaderEncodingSelector = source.ResponseHeaderEncodingSelector;
            copy.ActivityHeadersPropagator = source.ActivityHeadersPropagator;
            copy.MeterFactory = source.MeterFactory;
            foreach (var (key, value) in source.Properties)
            {
                copy.Properties[key] = value;
            }

            copy.SslOptions = Copy(sslOptions);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>Copies TLS options; the application protocol list is copied, everything else is shared by reference.</summary>
    public static SslClientAuthenticationOptions Copy(SslClientAuthenticationOptions source)
    {
        var copy = new SslClientAuthenticationOptions
        {
            AllowRenegotiation = source.AllowRenegotiation,
            AllowTlsResume = source.AllowTlsResume,
            LocalCertificateSelectionCallback = source.LocalCertificateSelectionCallback,
            RemoteCertificateValidationCallback = source.RemoteCertificateValidationCallback,
            ApplicationProtocols = source.ApplicationProtocols is { } protocols ? [.. protocols] : null,
            TargetHost = source.TargetHost,
            ClientCertificates = source.ClientCertificates,
            ClientCertificateContext = source.ClientCertificateContext,
            CertificateRevocationCheckMode = source.CertificateRevocationCheckMode,
            EncryptionPolicy = source.EncryptionPolicy,
            EnabledSslProtocols = source.EnabledSslProtocols,
            CipherSuitesPolicy = source.CipherSuitesPolicy,
            CertificateChainPolicy = source.CertificateChainPolicy,
        };
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            copy.AllowRsaPssPadding = source.AllowRsaPssPadding;
            copy.AllowRsaPkcs1Padding = source.AllowRsaPkcs1Padding;
        }

        return copy;
    }
}
