namespace ClientCertHttp.Trust;

/// <summary>
/// A rule of your own about the server's certificate, run during the TLS handshake after the built-in chain, host
/// name, pin and identity checks.
/// </summary>
/// <remarks>
/// <para>
/// Register it with <c>AddServerCertificateValidator</c> on the client's <c>IHttpClientBuilder</c>. Validators of one
/// client run in registration order; the first rejection ends the handshake. By default they only run for
/// certificates the built-in checks accepted and can only reject; see
/// <see cref="ServerTrustOptions.ValidatorsReplaceBuiltInVerdict"/> for the explicit opt-in that lets them decide.
/// </para>
/// <para>
/// One instance serves every handshake of the client (it is created when the client's options are loaded, and again
/// when they change), concurrently: implementations must be thread-safe. <see cref="Validate"/> runs synchronously
/// inside the handshake, so it must be fast and must not block on I/O.
/// </para>
/// </remarks>
public interface IServerCertificateValidator
{
    /// <summary>Decides about the server's certificate.</summary>
    /// <param name="context">The certificate, its already-built chain and the built-in verdict.</param>
    /// <returns><see cref="ServerCertificateValidationResult.Accept"/>, or <see cref="ServerCertificateValidationResult.Reject"/> with a reason.</returns>
    /// <remarks>An exception thrown here rejects the certificate, reported as <see cref="ServerCertificateFailureReason.ValidatorRejected"/>.</remarks>
    ServerCertificateValidationResult Validate(ServerCertificateValidationContext context);
}
