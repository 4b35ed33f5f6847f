# Sourced by the bench scripts: start_nginx DIR PORT LOCATION_BLOCK starts
# nginx in the foreground of a background job (its pid appended to $pids),
# with everything under DIR/nginx, one server on 127.0.0.1:PORT holding
# LOCATION_BLOCK, and no access log.
start_nginx() {
  local dir="$1" port="$2" location="$3"
  mkdir -p "$dir/nginx"
  cat >"$dir/nginx/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes auto;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    $location
  }
}
CONF
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' &
  pids+=($!)
}
