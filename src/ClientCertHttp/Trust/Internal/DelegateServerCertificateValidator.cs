namespace ClientCertHttp.Trust;

/// <summary>Adapts the delegate overload of <c>AddServerCertificateValidator</c>.</summary>
internal sealed class DelegateServerCertificateValidator(Func<ServerCertificateValidationContext, ServerCertificateValidationResult> validate) : IServerCertificateValidator
{
    public ServerCertificateValidationResult Validate(ServerCertificateValidationContext context) => validate(context);
}
