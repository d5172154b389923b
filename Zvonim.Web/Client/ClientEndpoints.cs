namespace Zvonim.Web.Client;

/// <summary>The browser client: static files under wwwroot and the page routes that serve it.</summary>
public static class ClientEndpoints
{
    public static WebApplication MapClient(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();
        return app;
    }
}
