using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClientCertHttp.Testing;

/// <summary>
/// Runs the server side of one TLS handshake with libssl directly (memory BIOs over the Kestrel connection) and fails
/// it in the certificate-verification callback with an <c>X509_V_ERR_*</c> code, so OpenSSL itself sends the alert.
/// </summary>
/// <remarks>
/// SslStream cannot do this on .NET 10 for Linux: it validates the peer certificate after OpenSSL has finished the
/// handshake and then just closes the connection, so no alert reaches the client (measured; sending alerts needs
/// validation inside the OpenSSL callback, which dotnet/runtime only added after .NET 10).
/// </remarks>
internal static class OpenSslAlertRejector
{
    private const int SslVerifyPeer = 1;
    private const int SslVerifyFailIfNoPeerCert = 2;
    private const int SslCtrlChainCert = 89;
    private const int SslCtrlSetMinProtoVersion = 123;
    private const int SslCtrlSetMaxProtoVersion = 124;
    private const int SslErrorWantRead = 2;
    private const int SslTlsextErrOk = 0;
    private const int SslTlsextErrNoAck = 3;

    /// <summary>ALPN offers, passed to the select callback as its argument.</summary>
    [Flags]
    internal enum Alpn
    {
        None = 0,
        Http2 = 1,
        Http11 = 2,
    }

    [ThreadStatic]
    private static HandshakeState? t_current;

    private static readonly Lazy<Api?> LazyApi = new(Api.TryLoad);

    /// <summary>Gets a value indicating whether libssl (1.1 or 3) could be loaded on this platform.</summary>
    public static bool IsSupported => LazyApi.Value is not null;

    /// <summary>The X509_V_ERR code that OpenSSL's x509table (ssl/statem/statem_lib.c) turns into <paramref name="alert"/>.</summary>
    internal static int VerifyErrorFor(TlsAlert alert) => alert switch
    {
        TlsAlert.HandshakeFailure => 50, // X509_V_ERR_APPLICATION_VERIFICATION
        TlsAlert.BadCertificate => 28, // X509_V_ERR_CERT_REJECTED
        TlsAlert.UnsupportedCertificate => 26, // X509_V_ERR_INVALID_PURPOSE
        TlsAlert.CertificateRevoked => 23, // X509_V_ERR_CERT_REVOKED
        TlsAlert.CertificateExpired => 10, // X509_V_ERR_CERT_HAS_EXPIRED
        TlsAlert.CertificateUnknown => 29, // X509_V_ERR_SUBJECT_ISSUER_MISMATCH: not in the table, so the default alert
        TlsAlert.UnknownCA => 20, // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        TlsAlert.DecryptError => 7, // X509_V_ERR_CERT_SIGNATURE_FAILURE
        TlsAlert.InternalError => 17, // X509_V_ERR_OUT_OF_MEM
        _ => throw new ArgumentOutOfRangeException(nameof(alert), alert, "Unknown TLS alert."),
    };

    /// <summary>
    /// Performs the handshake over <paramref name="transport"/> until OpenSSL fails it with <paramref name="alert"/>
    /// (or the client goes away). <paramref name="onRefused"/> gets the leaf certificate the client sent, if any, once,
    /// BEFORE the alert is written, so whoever observes the alert also observes what the callback recorded.
    /// </summary>
    public static async Task RejectAsync(
        IDuplexPipe transport,
        X509Certificate2 serverCertificate,
        IReadOnlyList<X509Certificate2> serverIntermediates,
        TlsAlert alert,
        Alpn alpn,
        SslProtocols protocols,
        Action<X509Certificate2?> onRefused,
        CancellationToken cancellationToken)
    {
        Api api = LazyApi.Value ?? throw new PlatformNotSupportedException("Rejecting with a TLS alert needs libssl (OpenSSL 1.1 or 3), which was not found.");
        var state = new HandshakeState(VerifyErrorFor(alert));
        bool reported = false;
        bool clientGone = false;
        void Report()
        {
            if (!reported)
            {
                reported = true;
                using X509Certificate2? leaf = state.Leaf is null ? null : X509CertificateLoader.LoadCertificate(state.Leaf);
                onRefused(leaf);
            }
        }

        try
        {
            using var session = new Session(api, serverCertificate, serverIntermediates, alpn, protocols);
            while (true)
            {
                bool wantRead = session.Step(state);
                byte[] output = session.Drain();
                if (!wantRead)
                {
                    Report();
                }

                if (output.Length > 0)
                {
                    await transport.Output.WriteAsync(output, cancellationToken).ConfigureAwait(false);
                }

                if (!wantRead)
                {
                    break;
                }

                ReadResult read = await transport.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
                clientGone = read.Buffer.IsEmpty && read.IsCompleted;
                session.Feed(read.Buffer);
                transport.Input.AdvanceTo(read.Buffer.End);
                if (clientGone)
                {
                    break;
                }
            }

            if (!clientGone)
            {
                await LingerAsync(transport.Input, cancellationToken).ConfigureAwait(false);
            }

            await transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            Report();
        }
    }

    /// <summary>
    /// Reads until the client closes (at most two seconds), like nginx's lingering close: closing at once can make
    /// the client's pending HTTP/2 preface write fail before it reads the alert, which then never surfaces.
    /// </summary>
    private static async Task LingerAsync(PipeReader input, CancellationToken cancellationToken)
    {
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        linger.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            while (true)
            {
                ReadResult rest = await input.ReadAsync(linger.Token).ConfigureAwait(false);
                input.AdvanceTo(rest.Buffer.End);
                if (rest.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client kept the connection open; close it anyway.
        }
    }

    [UnmanagedCallersOnly]
    private static unsafe int VerifyCallback(int preverifyOk, nint storeContext)
    {
        HandshakeState? state = t_current;
        Api? api = LazyApi.Value;
        if (state is null || api is null)
        {
            return 0;
        }

        if (state.Leaf is null)
        {
            nint leaf = api.X509_STORE_CTX_get0_cert(storeContext);
            if (leaf != 0)
            {
                int length = api.i2d_X509(leaf, null);
                if (length > 0)
                {
                    var der = new byte[length];
                    fixed (byte* start = der)
                    {
                        byte* cursor = start;
                        _ = api.i2d_X509(leaf, &cursor);
                    }

                    state.Leaf = der;
                }
            }
        }

        api.X509_STORE_CTX_set_error(storeContext, state.VerifyError);
        return 0;
    }

    /// <summary>
    /// Picks h2 or http/1.1 (in that order, as Kestrel does) from the client's ALPN list, so that a client that insists
    /// on HTTP/2 completes its side of a TLS 1.3 handshake and then reads the alert, instead of giving up on ALPN.
    /// </summary>
    [UnmanagedCallersOnly]
    private static unsafe int SelectAlpn(nint ssl, byte** output, byte* outputLength, byte* input, uint inputLength, nint offered)
    {
        var alpn = (Alpn)offered;
        if (TryFind(input, inputLength, "h2"u8, alpn.HasFlag(Alpn.Http2), output, outputLength)
            || TryFind(input, inputLength, "http/1.1"u8, alpn.HasFlag(Alpn.Http11), output, outputLength))
        {
            return SslTlsextErrOk;
        }

        return SslTlsextErrNoAck;

        static bool TryFind(byte* list, uint length, ReadOnlySpan<byte> protocol, bool offeredByServer, byte** output, byte* outputLength)
        {
            uint i = 0;
            while (offeredByServer && i < length)
            {
                byte size = list[i];
                if (i + 1 + size > length)
                {
                    break;
                }

                if (new ReadOnlySpan<byte>(list + i + 1, size).SequenceEqual(protocol))
                {
                    *output = list + i + 1; // OpenSSL copies the selection before the input goes away
                    *outputLength = size;
                    return true;
                }

                i += 1u + size;
            }

            return false;
        }
    }

    private sealed class HandshakeState(int verifyError)
    {
        public int VerifyError { get; } = verifyError;

        public byte[]? Leaf { get; set; }
    }

    /// <summary>One server-side SSL object with memory BIOs; everything freed on dispose.</summary>
    private sealed unsafe class Session : IDisposable
    {
        private readonly Api _api;
        private readonly nint _ctx;
        private readonly nint _ssl;
        private readonly nint _rbio;
        private readonly nint _wbio;

        public Session(Api api, X509Certificate2 certificate, IReadOnlyList<X509Certificate2> intermediates, Alpn alpn, SslProtocols protocols)
        {
            _api = api;
            _ctx = api.CreateContext(certificate, intermediates, protocols);
            api.SSL_CTX_set_alpn_select_cb(_ctx, &SelectAlpn, (nint)alpn);
            _ssl = api.SSL_new(_ctx);
            if (_ssl == 0)
            {
                api.SSL_CTX_free(_ctx);
                throw new CryptographicException("SSL_new failed.");
            }

            _rbio = api.BIO_new(api.BIO_s_mem());
            _wbio = api.BIO_new(api.BIO_s_mem());
            api.SSL_set_bio(_ssl, _rbio, _wbio); // the SSL object now owns both BIOs
            api.SSL_set_accept_state(_ssl);
        }

        /// <returns><see langword="true"/> when OpenSSL waits for more input.</returns>
        public bool Step(HandshakeState state)
        {
            // The verify callback runs synchronously on this thread, inside SSL_do_handshake.
            t_current = state;
            try
            {
                int result = _api.SSL_do_handshake(_ssl);
                int error = result == 1 ? 0 : _api.SSL_get_error(_ssl, result);
                return result != 1 && error == SslErrorWantRead;
            }
            finally
            {
                t_current = null;

                // The OpenSSL error queue is per thread and shared with .NET's own crypto: leave it empty.
                _api.ERR_clear_error();
            }
        }

        public byte[] Drain()
        {
            using var output = new MemoryStream();
            var chunk = new byte[4096];
            while (_api.BIO_ctrl_pending(_wbio) > 0)
            {
                int n;
                fixed (byte* p = chunk)
                {
                    n = _api.BIO_read(_wbio, p, chunk.Length);
                }

                if (n <= 0)
                {
                    break;
                }

                output.Write(chunk, 0, n);
            }

            return output.ToArray();
        }

        public void Feed(System.Buffers.ReadOnlySequence<byte> buffer)
        {
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                fixed (byte* p = segment.Span)
                {
                    _ = _api.BIO_write(_rbio, p, segment.Length);
                }
            }
        }

        public void Dispose()
        {
            _api.SSL_free(_ssl); // frees both BIOs
            _api.SSL_CTX_free(_ctx);
        }
    }

    /// <summary>The libssl/libcrypto entry points, bound at run time to whichever OpenSSL the system has.</summary>
    private sealed unsafe class Api
    {
#pragma warning disable SA1310, IDE1006 // C names, kept so the calls read like the OpenSSL documentation.
        public delegate* unmanaged<nint> TLS_server_method;
        public delegate* unmanaged<nint, nint> SSL_CTX_new;
        public delegate* unmanaged<nint, void> SSL_CTX_free;
        public delegate* unmanaged<nint, nint, int> SSL_CTX_use_certificate;
        public delegate* unmanaged<nint, nint, int> SSL_CTX_use_PrivateKey;
        public delegate* unmanaged<nint, int, nint, nint, nint> SSL_CTX_ctrl;
        public delegate* unmanaged<nint, int, delegate* unmanaged<int, nint, int>, void> SSL_CTX_set_verify;
        public delegate* unmanaged<nint, delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int>, nint, void> SSL_CTX_set_alpn_select_cb;
        public delegate* unmanaged<nint, nint> SSL_new;
        public delegate* unmanaged<nint, void> SSL_free;
        public delegate* unmanaged<nint, void> SSL_set_accept_state;
        public delegate* unmanaged<nint, nint, nint, void> SSL_set_bio;
        public delegate* unmanaged<nint, int> SSL_do_handshake;
        public delegate* unmanaged<nint, int, int> SSL_get_error;
        public delegate* unmanaged<nint> BIO_s_mem;
        public delegate* unmanaged<nint, nint> BIO_new;
        public delegate* unmanaged<nint, byte*, int, int> BIO_read;
        public delegate* unmanaged<nint, byte*, int, int> BIO_write;
        public delegate* unmanaged<nint, nuint> BIO_ctrl_pending;
        public delegate* unmanaged<nint*, byte**, nint, nint> d2i_X509;
        public delegate* unmanaged<nint, byte**, int> i2d_X509;
        public delegate* unmanaged<nint, void> X509_free;
        public delegate* unmanaged<nint*, byte**, nint, nint> d2i_AutoPrivateKey;
        public delegate* unmanaged<nint, void> EVP_PKEY_free;
        public delegate* unmanaged<nint, nint> X509_STORE_CTX_get0_cert;
        public delegate* unmanaged<nint, int, void> X509_STORE_CTX_set_error;
        public delegate* unmanaged<void> ERR_clear_error;
#pragma warning restore SA1310, IDE1006

        public static Api? TryLoad()
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            // The same sonames .NET's own crypto shim probes, newest first.
            foreach ((string ssl, string crypto) in new[] { ("libssl.so.3", "libcrypto.so.3"), ("libssl.so.1.1", "libcrypto.so.1.1") })
            {
                if (NativeLibrary.TryLoad(ssl, out nint sslHandle) && NativeLibrary.TryLoad(crypto, out nint cryptoHandle))
                {
                    try
                    {
                        return Bind(sslHandle, cryptoHandle);
                    }
                    catch (EntryPointNotFoundException)
                    {
                        // An unusual build of the library; try the next one.
                    }
                }
            }

            return null;
        }

        public nint CreateContext(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> intermediates, SslProtocols protocols)
        {
            nint ctx = SSL_CTX_new(TLS_server_method());
            if (ctx == 0)
            {
                throw new CryptographicException("SSL_CTX_new failed.");
            }

            try
            {
                nint x509 = ParseCertificate(certificate.RawData);
                try
                {
                    Check(SSL_CTX_use_certificate(ctx, x509), "SSL_CTX_use_certificate");
                }
                finally
                {
                    X509_free(x509);
                }

                nint key = ParsePrivateKey(ExportPkcs8(certificate));
                try
                {
                    Check(SSL_CTX_use_PrivateKey(ctx, key), "SSL_CTX_use_PrivateKey");
                }
                finally
                {
                    EVP_PKEY_free(key);
                }

                foreach (X509Certificate2 intermediate in intermediates)
                {
                    nint chainCert = ParseCertificate(intermediate.RawData);
                    try
                    {
                        // SSL_CTX_add1_chain_cert: takes its own reference.
                        Check((int)SSL_CTX_ctrl(ctx, SslCtrlChainCert, 1, chainCert), "SSL_CTX_add1_chain_cert");
                    }
                    finally
                    {
                        X509_free(chainCert);
                    }
                }

                // SSL_CTX_set_min_proto_version / SSL_CTX_set_max_proto_version (macros over SSL_CTX_ctrl).
                if (ProtocolRange(protocols) is ({ } min, { } max))
                {
                    Check((int)SSL_CTX_ctrl(ctx, SslCtrlSetMinProtoVersion, min, 0), "SSL_CTX_set_min_proto_version");
                    Check((int)SSL_CTX_ctrl(ctx, SslCtrlSetMaxProtoVersion, max, 0), "SSL_CTX_set_max_proto_version");
                }

                SSL_CTX_set_verify(ctx, SslVerifyPeer | SslVerifyFailIfNoPeerCert, &VerifyCallback);
                return ctx;
            }
            catch
            {
                SSL_CTX_free(ctx);
                throw;
            }
            finally
            {
                ERR_clear_error();
            }
        }

        private static byte[] ExportPkcs8(X509Certificate2 certificate)
        {
            using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey()
                ?? certificate.GetRSAPrivateKey()
                ?? throw new ArgumentException($"Server certificate '{certificate.Subject}' has no ECDSA or RSA private key.", nameof(certificate));
            return key.ExportPkcs8PrivateKey();
        }

        /// <summary>OpenSSL's version numbers for the lowest and highest of <paramref name="protocols"/> (TLS 1.2 and 1.3 only); none for the default.</summary>
        private static (int? Min, int? Max) ProtocolRange(SslProtocols protocols)
        {
            const int Tls12 = 0x0303;
            const int Tls13 = 0x0304;
            if (protocols == SslProtocols.None)
            {
                return (null, null);
            }

#pragma warning disable CA5398 // Not a protocol choice: the caller's choice is translated into OpenSSL's version numbers.
            bool tls12 = protocols.HasFlag(SslProtocols.Tls12);
            bool tls13 = protocols.HasFlag(SslProtocols.Tls13);
#pragma warning restore CA5398
            return (tls12 ? Tls12 : Tls13, tls13 ? Tls13 : Tls12);
        }

        private static void Check(int result, string function)
        {
            if (result != 1)
            {
                throw new CryptographicException($"{function} failed while preparing the TLS alert rejection.");
            }
        }

        private static Api Bind(nint ssl, nint crypto)
        {
            return new Api
            {
                TLS_server_method = (delegate* unmanaged<nint>)NativeLibrary.GetExport(ssl, "TLS_server_method"),
                SSL_CTX_new = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(ssl, "SSL_CTX_new"),
                SSL_CTX_free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(ssl, "SSL_CTX_free"),
                SSL_CTX_use_certificate = (delegate* unmanaged<nint, nint, int>)NativeLibrary.GetExport(ssl, "SSL_CTX_use_certificate"),
                SSL_CTX_use_PrivateKey = (delegate* unmanaged<nint, nint, int>)NativeLibrary.GetExport(ssl, "SSL_CTX_use_PrivateKey"),
                SSL_CTX_ctrl = (delegate* unmanaged<nint, int, nint, nint, nint>)NativeLibrary.GetExport(ssl, "SSL_CTX_ctrl"),
                SSL_CTX_set_verify = (delegate* unmanaged<nint, int, delegate* unmanaged<int, nint, int>, void>)NativeLibrary.GetExport(ssl, "SSL_CTX_set_verify"),
                SSL_CTX_set_alpn_select_cb = (delegate* unmanaged<nint, delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int>, nint, void>)NativeLibrary.GetExport(ssl, "SSL_CTX_set_alpn_select_cb"),
                SSL_new = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(ssl, "SSL_new"),
                SSL_free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(ssl, "SSL_free"),
                SSL_set_accept_state = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(ssl, "SSL_set_accept_state"),
                SSL_set_bio = (delegate* unmanaged<nint, nint, nint, void>)NativeLibrary.GetExport(ssl, "SSL_set_bio"),
                SSL_do_handshake = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(ssl, "SSL_do_handshake"),
                SSL_get_error = (delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(ssl, "SSL_get_error"),
                BIO_s_mem = (delegate* unmanaged<nint>)NativeLibrary.GetExport(crypto, "BIO_s_mem"),
                BIO_new = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(crypto, "BIO_new"),
                BIO_read = (delegate* unmanaged<nint, byte*, int, int>)NativeLibrary.GetExport(crypto, "BIO_read"),
                BIO_write = (delegate* unmanaged<nint, byte*, int, int>)NativeLibrary.GetExport(crypto, "BIO_write"),
                BIO_ctrl_pending = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(crypto, "BIO_ctrl_pending"),
                d2i_X509 = (delegate* unmanaged<nint*, byte**, nint, nint>)NativeLibrary.GetExport(crypto, "d2i_X509"),
                i2d_X509 = (delegate* unmanaged<nint, byte**, int>)NativeLibrary.GetExport(crypto, "i2d_X509"),
                X509_free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(crypto, "X509_free"),
                d2i_AutoPrivateKey = (delegate* unmanaged<nint*, byte**, nint, nint>)NativeLibrary.GetExport(crypto, "d2i_AutoPrivateKey"),
                EVP_PKEY_free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(crypto, "EVP_PKEY_free"),
                X509_STORE_CTX_get0_cert = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(crypto, "X509_STORE_CTX_get0_cert"),
                X509_STORE_CTX_set_error = (delegate* unmanaged<nint, int, void>)NativeLibrary.GetExport(crypto, "X509_STORE_CTX_set_error"),
                ERR_clear_error = (delegate* unmanaged<void>)NativeLibrary.GetExport(crypto, "ERR_clear_error"),
            };
        }

        private nint ParseCertificate(byte[] der)
        {
            fixed (byte* start = der)
            {
                byte* cursor = start;
                nint x509 = d2i_X509(null, &cursor, der.Length);
                return x509 != 0 ? x509 : throw new CryptographicException("d2i_X509 could not parse the server certificate.");
            }
        }

        private nint ParsePrivateKey(byte[] pkcs8)
        {
            try
            {
                fixed (byte* start = pkcs8)
                {
                    byte* cursor = start;
                    nint key = d2i_AutoPrivateKey(null, &cursor, pkcs8.Length);
                    return key != 0 ? key : throw new CryptographicException("d2i_AutoPrivateKey could not parse the server key.");
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }
    }
}
